package dev.attune.models.task;

import java.util.Objects;

/**
 * One retrieval task as trainer and serving both see it.
 *
 * @param name task name carried by query events and training examples, e.g. {@code qa}
 * @param queryInstruction prefixed to every query of the task, in training and in serving ("" for none)
 * @param distillation the loss term that learns from the LLM's scores
 */
public record TaskSpec(String name, String queryInstruction, Distillation distillation) {
  public TaskSpec {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("task name must not be blank");
    queryInstruction = queryInstruction == null ? "" : queryInstruction;
    Objects.requireNonNull(distillation, "distillation");
  }

  /** The text the encoder sees for a query of this task. */
  public String queryText(String query) {
    return queryInstruction + query;
  }
}

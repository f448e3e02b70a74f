package dev.attune.trainers.eval;

import dev.attune.schemas.SignalKind;

/** Scores how well a passage supports producing the answer: the LLM's preference signal. */
public interface LlmScorer extends AutoCloseable {
  /** Id written to LlmFeedbackEvent.llmId. */
  String llmId();

  SignalKind signalKind();

  /** Mean log-probability per answer token of {@code answer} given {@code passage} and {@code question}. */
  double score(String question, String passage, String answer);

  @Override
  default void close() {}
}

package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attune.schemas.TrainingExample;
import dev.attune.models.task.TaskSpec;
import java.util.List;

/**
 * What a training step scores its queries against. A full round encodes the batch's passages with
 * the model being trained ({@link EncodedPassages}); a query-side round reads them from the index
 * it is paired with and encodes no passage at all ({@link IndexedPassages}).
 */
interface PassageSide extends AutoCloseable {
  /**
   * The step's keys, the queries' similarities to them, and, where the step also sees keys no term
   * hides, their log-partition per query (see {@link RetrievalLosses#listwise}).
   *
   * @param similarity [queries, keys] cosine similarities
   * @param background [queries] log Σ exp(sim / τ) over the further keys, or null
   */
  record Scores(BatchKeys keys, NDArray similarity, NDArray background) {}

  /** Whether an example can train on this side: one of its positives can be scored. */
  boolean usable(TrainingExample e);

  /** Which of the model's weights train against this side. */
  QueryTuning tuning();

  /**
   * Scores the step's query embeddings {@code q} [queries, d]; passages the side encodes go through
   * {@code embedder} (the step's own, so a gradient cache covers them too); every array lives in
   * {@code scope}.
   */
  Scores score(NDManager scope, StepEmbedder embedder, TaskSpec task, List<TrainingExample> examples, NDArray q);

  /** The passage texts {@link #score} will encode for {@code examples}, at {@link #maxTokens}; none where the side encodes nothing. */
  default List<String> texts(TaskSpec task, List<TrainingExample> examples) {
    return List.of();
  }

  /** The token limit of the texts {@link #texts} lists. */
  default int maxTokens() {
    return 0;
  }

  @Override
  default void close() {}

  /** The example's positives in {@code order}: the miner lists human labels first, then the LLM's picks best first. */
  static List<String> orderedPositives(TrainingExample e, TrainerConfig.PositiveOrder order) {
    List<String> listed = e.getPositives();
    if (order == TrainerConfig.PositiveOrder.HUMAN_FIRST) return listed;
    List<String> human = e.getHumanLabels();
    return java.util.stream.Stream.concat(listed.stream().filter(p -> !human.contains(p)), listed.stream().filter(human::contains)).toList();
  }
}

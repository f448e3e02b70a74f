package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.attune.trainers.model.BertEncoder;
import java.util.List;

/**
 * How a training step turns texts into embeddings with the model being trained: in one pass with
 * the graph ({@link #direct}), or through a {@link GradientCache} whose memory is bounded by its
 * chunk instead of the batch.
 */
interface StepEmbedder {
  /** {@code texts}' normalised embeddings [texts, d], in {@code scope}, called inside the step's gradient collector. */
  NDArray embed(NDManager scope, List<String> texts, int maxTokens);

  /** After the loss's backward pass: whatever the embedder still owes the weights' gradients. */
  default void finish(NDManager scope) {}

  /** The plain step: every text in one forward pass, its graph held until the loss's backward. */
  static StepEmbedder direct(BertEncoder model) {
    return (scope, texts, maxTokens) -> model.forward(scope, model.tokenizer().tokenize(texts, maxTokens));
  }
}

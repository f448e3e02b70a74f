package dev.attune.trainers.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.attune.trainers.model.BertEncoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient caching (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory
 * Limited Setup"; sentence-transformers' CachedMultipleNegativesRankingLoss): the step's texts are
 * embedded {@code chunk} at a time without a graph, the loss runs on leaf copies of those
 * embeddings and its backward pass stops at them; then {@link #finish} re-runs each chunk with the
 * graph and back-propagates the leaf's gradient into the weights, one chunk's activations alive at
 * a time. The weights' gradients equal the plain step's (the encoder has no dropout, so the second
 * pass recomputes the first exactly); the price is a second forward pass.
 *
 * <p>Gradients accumulate across backward calls (DJL's PyTorch collector never zeroes them;
 * {@link AdamW#applyClipped} does after the update), and only one collector may be open at a time,
 * so the second pass opens its own after the loss's has closed.
 */
final class GradientCache implements StepEmbedder {
  private final BertEncoder model;
  private final int chunk;
  private final List<Cached> cached = new ArrayList<>();

  private record Cached(List<String> texts, int maxTokens, NDArray leaf) {}

  GradientCache(BertEncoder model, int chunk) {
    if (chunk < 1) throw new IllegalArgumentException("chunk (" + chunk + ") must be >= 1");
    this.model = model;
    this.chunk = chunk;
  }

  @Override
  public NDArray embed(NDManager scope, List<String> texts, int maxTokens) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      NDList parts = new NDList();
      for (int start = 0; start < texts.size(); start += chunk) {
        try (NDManager pass = scope.newSubManager()) {
          NDArray part = model.forward(pass, model.tokenizer().tokenize(texts.subList(start, Math.min(texts.size(), start + chunk)), maxTokens));
          part.attach(scope);
          parts.add(part);
        }
      }
      NDArray leaf = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
      leaf.attach(scope);
      leaf.setRequiresGradient(true);
      cached.add(new Cached(texts, maxTokens, leaf));
      return leaf;
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  @Override
  public void finish(NDManager scope) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      for (Cached c : cached) {
        NDArray gradient = c.leaf().getGradient();
        gradient.attach(scope);
        for (int start = 0; start < c.texts().size(); start += chunk) {
          int end = Math.min(c.texts().size(), start + chunk);
          try (NDManager pass = scope.newSubManager()) {
            NDArray embeddings = model.forward(pass, model.tokenizer().tokenize(c.texts().subList(start, end), c.maxTokens()));
            NDArray slice = gradient.get(new NDIndex("{}:{}", start, end));
            slice.attach(pass);
            // d(Σ e·g)/dθ = Σ g · de/dθ: the chain rule through the cached embeddings.
            collector.backward(embeddings.mul(slice).sum());
          }
        }
      }
    }
    cached.clear();
  }
}

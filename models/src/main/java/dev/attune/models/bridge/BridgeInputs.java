package dev.attune.models.bridge;

import java.util.List;

/**
 * What the decoder reads for a batch: each query's embedding and its candidates' embeddings, padded
 * to {@code candidates} slots; {@code counts[b]} slots of row b are real.
 */
public record BridgeInputs(int batch, int candidates, int dimension, float[] queries, float[] passages, int[] counts) {

  public BridgeInputs {
    if (queries.length != batch * dimension || passages.length != batch * candidates * dimension || counts.length != batch) {
      throw new IllegalArgumentException("inputs do not match batch " + batch + " x " + candidates + " candidates x " + dimension);
    }
  }

  /** Embeds a batch of examples through {@code embeddings}; candidates past {@code slots} are dropped. */
  public static BridgeInputs of(List<BridgeExample> examples, CandidateEmbeddings embeddings, int slots) {
    int b = examples.size(), d = embeddings.dimension();
    float[] queries = new float[b * d];
    float[] passages = new float[b * slots * d];
    int[] counts = new int[b];
    for (int i = 0; i < b; i++) {
      BridgeExample e = examples.get(i);
      System.arraycopy(embeddings.query(e.task(), e.query()), 0, queries, i * d, d);
      counts[i] = Math.min(slots, e.candidates().size());
      for (int j = 0; j < counts[i]; j++) {
        System.arraycopy(embeddings.passage(e.candidates().get(j).embeddingText()), 0, passages, (i * slots + j) * d, d);
      }
    }
    return new BridgeInputs(b, slots, d, queries, passages, counts);
  }

  /** Each row {@code times} times in a row (row b becomes rows b·times .. b·times + times − 1). */
  public BridgeInputs repeat(int times) {
    int n = candidates * dimension;
    float[] q = new float[batch * times * dimension];
    float[] p = new float[batch * times * n];
    int[] c = new int[batch * times];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < times; t++) {
        int row = b * times + t;
        System.arraycopy(queries, b * dimension, q, row * dimension, dimension);
        System.arraycopy(passages, b * n, p, row * n, n);
        c[row] = counts[b];
      }
    }
    return new BridgeInputs(batch * times, candidates, dimension, q, p, c);
  }
}

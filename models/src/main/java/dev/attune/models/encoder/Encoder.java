package dev.attune.models.encoder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Turns texts into L2-normalised embeddings. */
public interface Encoder extends AutoCloseable {
  /** Model version that produced the embeddings, e.g. {@code retriever-v2}. */
  String version();

  int dimension();

  /** Embeds one batch as given (no sorting, no splitting). */
  float[][] embedBatch(List<String> texts, int maxLength);

  /**
   * Most padded characters in one batch of {@link #embed}. On a CPU a batch's activations outgrow
   * the cache long before the matrix products stop gaining from size: SQuAD's passages embedded
   * under ONNX Runtime on 2 cores ran at 9–10 passages/s in batches of 32 and 12.7–14 in batches
   * of about 2,000 characters (docs/results.md), while short questions still go 30 or more at a time.
   */
  int MAX_BATCH_CHARS = 2_048;

  /**
   * Embeds any number of texts in length-sorted batches (less padding) of at most {@code batchSize}
   * texts and {@link #MAX_BATCH_CHARS} padded characters, returning them in input order.
   */
  default float[][] embed(List<String> texts, int maxLength, int batchSize, Progress progress) {
    Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
    java.util.Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
    float[][] out = new float[texts.size()][];
    int start = 0;
    while (start < order.length) {
      int end = start + 1;
      while (end < order.length && end - start < batchSize
          && (long) (end + 1 - start) * texts.get(order[end]).length() <= MAX_BATCH_CHARS) {
        end++;
      }
      List<String> batch = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) batch.add(texts.get(order[i]));
      float[][] vectors = embedBatch(batch, maxLength);
      for (int i = start; i < end; i++) out[order[i]] = vectors[i - start];
      progress.advance(end - start);
      start = end;
    }
    return out;
  }

  @Override
  void close();

  static void normalize(float[] v) {
    double norm = 0;
    for (float x : v) norm += x * x;
    float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
    for (int i = 0; i < v.length; i++) v[i] *= inv;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}

package dev.attune.trainers.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/** Brute-force inner-product search over normalised vectors: the reference the stores are held to. */
public final class ExactSearch {
  private ExactSearch() {}

  /** Ids of the top k vectors for each query, best first. */
  public static List<List<String>> topK(float[][] queries, float[][] corpus, List<String> ids, int k) {
    List<List<String>> out = new ArrayList<>(queries.length);
    for (float[] q : queries) {
      PriorityQueue<double[]> heap = new PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
      for (int j = 0; j < corpus.length; j++) {
        double dot = 0;
        float[] d = corpus[j];
        for (int t = 0; t < q.length; t++) dot += q[t] * d[t];
        heap.add(new double[] {dot, j});
        if (heap.size() > k) heap.poll();
      }
      List<String> ranked = new ArrayList<>(heap.size());
      while (!heap.isEmpty()) ranked.add(0, ids.get((int) heap.poll()[1]));
      out.add(ranked);
    }
    return out;
  }
}

package dev.attune.trainers.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Cross-entropy terms over a batch's keys, as plain arrays: for query b and term t, the target key
 * column, which keys the softmax may see, and the term's weight. The contrastive loss and the
 * stabilised distillation are both built this way and computed by {@link RetrievalLosses#listwise}.
 *
 * @param target [B, T, K] one-hot target column
 * @param visible [B, T, K] 1 where the key takes part in the softmax
 * @param weight [B, T] the term's weight (0 for an unused term)
 */
record ListwiseTargets(float[] target, float[] visible, float[] weight, int queries, int terms, int keys) {

  /**
   * Multi-positive InfoNCE: one term per target positive, against every key of the batch except the
   * query's other positives; each query's terms weigh 1 / (its targets).
   */
  static ListwiseTargets contrastive(BatchKeys batch) {
    List<List<Integer>> targets = new ArrayList<>();
    List<List<Integer>> positives = new ArrayList<>();
    for (List<BatchKeys.Own> own : batch.own()) {
      List<Integer> all = own.stream().filter(BatchKeys.Own::positive).map(BatchKeys.Own::column).toList();
      positives.add(all);
      targets.add(all.subList(0, Math.min(all.size(), batch.targets())));
    }
    Builder out = new Builder(batch, targets.stream().mapToInt(List::size).max().orElse(0));
    for (int b = 0; b < batch.queries(); b++) {
      List<Integer> own = targets.get(b);
      for (int t = 0; t < own.size(); t++) out.term(b, t, own.get(t), positives.get(b), 1f / own.size());
    }
    return out.build();
  }

  /**
   * LLM-Embedder's stabilised distillation: the query's teacher-scored keys sorted by score,
   * descending; the term for rank i targets the i-th with ranks before i (and the query's unscored
   * positives) hidden, weighted by softmax(teacher / T)_i.
   */
  static ListwiseTargets stabilised(BatchKeys batch, float teacherTemperature) {
    Builder out = new Builder(batch, batch.own().stream().mapToInt(o -> (int) o.stream().filter(BatchKeys.Own::scored).count()).max().orElse(0));
    for (int b = 0; b < batch.queries(); b++) {
      List<BatchKeys.Own> ranked = new ArrayList<>();
      List<Integer> hidden = new ArrayList<>();
      for (BatchKeys.Own o : batch.own().get(b)) {
        if (batch.keyValid()[o.column()] == 0) continue;
        if (o.scored()) ranked.add(o);
        else if (o.positive()) hidden.add(o.column());
      }
      ranked.sort(Comparator.comparingDouble((BatchKeys.Own o) -> -o.teacher()));
      double max = ranked.isEmpty() ? 0 : ranked.get(0).teacher() / teacherTemperature;
      double z = 0;
      for (BatchKeys.Own o : ranked) z += Math.exp(o.teacher() / teacherTemperature - max);
      for (int t = 0; t < ranked.size(); t++) {
        int col = ranked.get(t).column();
        float w = (float) (Math.exp(ranked.get(t).teacher() / teacherTemperature - max) / z);
        out.term(b, t, col, hidden, w);
        hidden.add(col);
      }
    }
    return out.build();
  }

  private static final class Builder {
    final BatchKeys batch;
    final int terms;
    final int keys;
    final float[] target;
    final float[] visible;
    final float[] weight;

    Builder(BatchKeys batch, int terms) {
      this.batch = batch;
      this.terms = terms;
      this.keys = batch.keys();
      this.target = new float[batch.queries() * terms * keys];
      this.visible = new float[batch.queries() * terms * keys];
      this.weight = new float[batch.queries() * terms];
    }

    /** Term t of query b targets {@code column}; {@code hide} lists columns other than the target to leave out. */
    void term(int b, int t, int column, List<Integer> hide, float w) {
      int base = (b * terms + t) * keys;
      for (int k = 0; k < keys; k++) visible[base + k] = batch.keyValid()[k];
      for (int c : hide) if (c != column) visible[base + c] = 0;
      target[base + column] = 1;
      weight[b * terms + t] = w;
    }

    ListwiseTargets build() {
      return new ListwiseTargets(target, visible, weight, batch.queries(), terms, keys);
    }
  }
}

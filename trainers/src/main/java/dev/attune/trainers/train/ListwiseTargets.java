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
   * Multi-positive InfoNCE: one term per positive, against every key of the batch except the
   * query's other positives; each query's terms weigh 1 / (its positives).
   */
  static ListwiseTargets contrastive(TrainingBatch batch) {
    int per = batch.keysPerQuery();
    Builder out = new Builder(batch, per);
    for (int b = 0; b < batch.size(); b++) {
      List<Integer> own = new ArrayList<>();
      for (int j = 0; j < per; j++) if (batch.positive()[b * per + j] == 1) own.add(b * per + j);
      for (int t = 0; t < own.size(); t++) out.term(b, t, own.get(t), own, 1f / own.size());
    }
    return out.build();
  }

  /**
   * LLM-Embedder's stabilised distillation: the query's teacher-scored candidates sorted by score,
   * descending; the term for rank i targets the i-th candidate with ranks before i (and the query's
   * unscored positives) hidden, weighted by softmax(teacher / T)_i.
   */
  static ListwiseTargets stabilised(TrainingBatch batch, float teacherTemperature) {
    int per = batch.keysPerQuery();
    Builder out = new Builder(batch, per);
    for (int b = 0; b < batch.size(); b++) {
      List<Integer> ranked = new ArrayList<>();
      List<Integer> hidden = new ArrayList<>();
      for (int j = 0; j < per; j++) {
        int col = b * per + j;
        if (batch.keyValid()[col] == 0) continue;
        if (batch.teacherValid()[col] == 1) ranked.add(col);
        else if (batch.positive()[col] == 1) hidden.add(col);
      }
      ranked.sort(Comparator.comparingDouble((Integer c) -> -batch.teacher()[c]));
      double max = ranked.isEmpty() ? 0 : batch.teacher()[ranked.get(0)] / teacherTemperature;
      double z = 0;
      for (int c : ranked) z += Math.exp(batch.teacher()[c] / teacherTemperature - max);
      for (int t = 0; t < ranked.size(); t++) {
        int col = ranked.get(t);
        float w = (float) (Math.exp(batch.teacher()[col] / teacherTemperature - max) / z);
        out.term(b, t, col, hidden, w);
        hidden.add(col);
      }
    }
    return out.build();
  }

  private static final class Builder {
    final TrainingBatch batch;
    final int terms;
    final int keys;
    final float[] target;
    final float[] visible;
    final float[] weight;

    Builder(TrainingBatch batch, int terms) {
      this.batch = batch;
      this.terms = terms;
      this.keys = batch.keyValid().length;
      this.target = new float[batch.size() * terms * keys];
      this.visible = new float[batch.size() * terms * keys];
      this.weight = new float[batch.size() * terms];
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
      return new ListwiseTargets(target, visible, weight, batch.size(), terms, keys);
    }
  }
}

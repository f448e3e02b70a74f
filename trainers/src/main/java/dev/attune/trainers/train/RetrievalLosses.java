package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.attune.trainers.model.GraphScalars;

/** LLM-Embedder's losses over similarity matrices. All similarities are cosine. */
public final class RetrievalLosses {
  /** Added to hidden logits: large enough to zero their probability, small enough to avoid NaN. */
  static final float MASKED = -1e4f;

  private RetrievalLosses() {}

  /**
   * Weighted cross-entropy terms over the batch's keys: for query b and term t,
   * w[b,t] · −log softmax(sim[b, visible] / τ)[target[b,t]]; summed over terms, averaged over the
   * queries that have any weight. In-batch InfoNCE and the stabilised distillation are both this.
   *
   * @param similarity [queries, keys]
   * @param target [queries, terms, keys] one-hot
   * @param visible [queries, terms, keys] 1 where the key takes part in the softmax
   * @param weight [queries, terms]
   */
  public static NDArray listwise(NDArray similarity, NDArray target, NDArray visible, NDArray weight, float temperature) {
    return listwise(similarity, target, visible, weight, temperature, null);
  }

  /**
   * As above, with every term of query b also seeing a background of further keys that no term
   * hides (the rest of the corpus, in a query-side round): {@code background[b]} is their
   * log-partition log Σ exp(sim / τ), which enters each softmax as one more key. Exactly the loss
   * with those keys as visible columns, without materialising [queries, terms, corpus].
   *
   * @param background [queries], or null for none
   */
  public static NDArray listwise(NDArray similarity, NDArray target, NDArray visible, NDArray weight, float temperature, NDArray background) {
    long queries = similarity.getShape().get(0);
    long keys = similarity.getShape().get(1);
    long terms = target.getShape().get(1);
    NDArray logits = GraphScalars.div(similarity, temperature).reshape(queries, 1, keys).add(visible.sub(1f).mul(-MASKED));
    if (background != null) {
      logits = logits.concat(background.reshape(queries, 1, 1).broadcast(queries, terms, 1), 2);
      target = target.concat(target.getManager().zeros(new Shape(queries, terms, 1), target.getDataType(), target.getDevice()), 2);
    }
    NDArray perTerm = logits.logSoftmax(2).mul(target).sum(new int[] {2}).neg();
    NDArray perQuery = perTerm.mul(weight).sum(new int[] {1});
    NDArray active = weight.sum(new int[] {1}).gt(0f).toType(perQuery.getDataType(), false);
    return perQuery.mul(active).sum().div(active.sum().maximum(1f));
  }

  /** log Σ_k exp(logits[b, k]) per row b of [queries, keys], computed stably. */
  public static NDArray logSumExp(NDArray logits) {
    NDArray max = logits.max(new int[] {1}, true).stopGradient();
    return logits.sub(max).exp().sum(new int[] {1}).log().add(max.reshape(max.getShape().get(0)));
  }

  /**
   * KL(softmax(teacher / T) ‖ softmax(student / τ)) over each query's own candidates, averaged over
   * queries that have at least one valid candidate.
   *
   * @param student [queries, candidates] similarities
   * @param teacher [queries, candidates] teacher scores (any value where invalid)
   * @param valid [queries, candidates] 1 for real candidates with a teacher score, else 0
   */
  public static NDArray klDistillation(
      NDArray student, NDArray teacher, NDArray valid, float teacherTemperature, float temperature) {
    NDArray maskOffset = valid.sub(1f).mul(-MASKED);
    NDArray teacherLog = teacher.div(teacherTemperature).mul(valid).add(maskOffset).logSoftmax(1);
    NDArray studentLog = GraphScalars.div(student, temperature).mul(valid).add(maskOffset).logSoftmax(1);
    NDArray perQuery = teacherLog.exp().mul(teacherLog.sub(studentLog)).mul(valid).sum(new int[] {1});
    NDArray hasAny = valid.sum(new int[] {1}).gt(0f).toType(perQuery.getDataType(), false);
    return perQuery.mul(hasAny).sum().div(hasAny.sum().maximum(1f));
  }
}

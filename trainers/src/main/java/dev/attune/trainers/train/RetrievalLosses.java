package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;

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
    long queries = similarity.getShape().get(0);
    long keys = similarity.getShape().get(1);
    NDArray logits = similarity.div(temperature).reshape(queries, 1, keys).add(visible.sub(1f).mul(-MASKED));
    NDArray perTerm = logits.logSoftmax(2).mul(target).sum(new int[] {2}).neg();
    NDArray perQuery = perTerm.mul(weight).sum(new int[] {1});
    NDArray active = weight.sum(new int[] {1}).gt(0f).toType(perQuery.getDataType(), false);
    return perQuery.mul(active).sum().div(active.sum().maximum(1f));
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
    NDArray studentLog = student.div(temperature).mul(valid).add(maskOffset).logSoftmax(1);
    NDArray perQuery = teacherLog.exp().mul(teacherLog.sub(studentLog)).mul(valid).sum(new int[] {1});
    NDArray hasAny = valid.sum(new int[] {1}).gt(0f).toType(perQuery.getDataType(), false);
    return perQuery.mul(hasAny).sum().div(hasAny.sum().maximum(1f));
  }
}

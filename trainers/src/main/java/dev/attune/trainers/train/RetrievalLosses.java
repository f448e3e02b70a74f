package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;

/** LLM-Embedder's losses over similarity matrices. All inputs are cosine similarities. */
public final class RetrievalLosses {
  /** Added to masked logits: large enough to zero their probability, small enough to avoid NaN. */
  static final float MASKED = -1e4f;

  private RetrievalLosses() {}

  /**
   * In-batch InfoNCE: for query i, −log softmax(sim[i, :] / τ)[positive_i], averaged over queries.
   *
   * @param similarity [queries, keys]
   * @param positives one-hot [queries, keys]
   * @param keyValid [1, keys]: 1 for real keys, 0 for padding that no query may see
   */
  public static NDArray infoNce(NDArray similarity, NDArray positives, NDArray keyValid, float temperature) {
    NDArray logProbs = similarity.div(temperature).add(keyValid.sub(1f).mul(-MASKED)).logSoftmax(1);
    return logProbs.mul(positives).sum(new int[] {1}).neg().mean();
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

package dev.attune.trainers.bridge;

import ai.djl.ndarray.NDArray;

/** The bridge's two training objectives, over the decoder's log-probabilities [B, T, O]. */
public final class BridgeLosses {
  private BridgeLosses() {}

  /** log π(sequence) per row [B]: the chosen option's log-probability summed over the valid steps. */
  public static NDArray sequenceLogProbability(NDArray logp, NDArray target) {
    return logp.mul(target).sum(new int[] {1, 2});
  }

  /**
   * Supervised stage: cross-entropy of the silver sequences under teacher forcing, averaged over every
   * valid step of the batch (each passage choice and the final STOP count once).
   */
  public static NDArray crossEntropy(NDArray logp, NDArray target, NDArray stepValid) {
    return logp.mul(target).sum().neg().div(stepValid.sum().maximum(1f));
  }

  /**
   * REINFORCE: {@code −mean_b (R_b − baseline) · log π(s_b)}. {@code advantages} holds R_b − baseline,
   * computed outside the graph, so the baseline lowers the variance without biasing the gradient.
   */
  public static NDArray policyGradient(NDArray sequenceLogProbability, NDArray advantages) {
    return sequenceLogProbability.mul(advantages).mean().neg();
  }
}

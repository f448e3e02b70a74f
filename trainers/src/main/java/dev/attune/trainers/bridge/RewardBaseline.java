package dev.attune.trainers.bridge;

/**
 * Exponential moving average of the rewards seen, the REINFORCE baseline: {@code b ← m·b + (1 − m)·mean
 * batch reward}, started at the first batch's mean. Advantages are taken against the value before the
 * batch updates it.
 */
public final class RewardBaseline {
  private final double momentum;
  private double value = Double.NaN;

  public RewardBaseline(double momentum) {
    this.momentum = momentum;
  }

  public RewardBaseline(double momentum, double value) {
    this(momentum);
    this.value = value;
  }

  public double value() {
    return value;
  }

  /** R − baseline for each reward, then folds the batch into the baseline. */
  public float[] advantages(double[] rewards) {
    double mean = 0;
    for (double r : rewards) mean += r / rewards.length;
    double before = Double.isNaN(value) ? mean : value;
    float[] out = new float[rewards.length];
    for (int i = 0; i < rewards.length; i++) out[i] = (float) (rewards[i] - before);
    value = Double.isNaN(value) ? mean : momentum * value + (1 - momentum) * mean;
    return out;
  }
}

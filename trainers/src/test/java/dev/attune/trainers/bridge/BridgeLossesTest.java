package dev.attune.trainers.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The bridge's losses against values worked out by hand. */
class BridgeLossesTest {
  // Two rows, two steps, two options. Row 0 picks option 0 then option 1; row 1 picks option 1 and
  // its second step is padding.
  static final float[] LOGP = {
      (float) Math.log(0.5), (float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.75),
      (float) Math.log(0.9), (float) Math.log(0.1), (float) Math.log(0.5), (float) Math.log(0.5)};
  static final float[] TARGET = {1, 0, 0, 1, 0, 1, 0, 0};
  static final float[] VALID = {1, 1, 1, 0};

  @Test
  void sequence_log_probability_sums_the_chosen_options() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] lp = BridgeLosses.sequenceLogProbability(logp(m), m.create(TARGET, new Shape(2, 2, 2))).toFloatArray();

      assertThat(lp[0]).isCloseTo((float) (Math.log(0.5) + Math.log(0.75)), within(1e-6f));
      assertThat(lp[1]).isCloseTo((float) Math.log(0.1), within(1e-6f));
    }
  }

  @Test
  void cross_entropy_averages_over_valid_steps() {
    try (NDManager m = NDManager.newBaseManager()) {
      float ce = BridgeLosses.crossEntropy(logp(m), m.create(TARGET, new Shape(2, 2, 2)), m.create(VALID, new Shape(2, 2))).getFloat();

      assertThat(ce).isCloseTo((float) (-(Math.log(0.5) + Math.log(0.75) + Math.log(0.1)) / 3), within(1e-6f));
    }
  }

  @Test
  void policy_gradient_weights_each_sequence_by_its_advantage() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray sequence = m.create(new float[] {(float) (Math.log(0.5) + Math.log(0.75)), (float) Math.log(0.1)});
      float loss = BridgeLosses.policyGradient(sequence, m.create(new float[] {2f, -1f})).getFloat();

      // −mean(2·(ln .5 + ln .75) + (−1)·ln .1) = −0.17046
      assertThat(loss).isCloseTo((float) (-(2 * (Math.log(0.5) + Math.log(0.75)) - Math.log(0.1)) / 2), within(1e-6f));
      assertThat(loss).isCloseTo(-0.17046f, within(1e-4f));
    }
  }

  @Test
  void baseline_starts_at_the_first_batch_mean_and_moves_by_its_momentum() {
    RewardBaseline b = new RewardBaseline(0.9);

    assertThat(b.advantages(new double[] {1, 3})).containsExactly(-1f, 1f);
    assertThat(b.value()).isEqualTo(2.0);
    assertThat(b.advantages(new double[] {4})).containsExactly(2f);
    assertThat(b.value()).isCloseTo(2.2, within(1e-12));
  }

  private static NDArray logp(NDManager m) {
    return m.create(LOGP, new Shape(2, 2, 2));
  }
}

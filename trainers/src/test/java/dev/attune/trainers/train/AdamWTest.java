package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class AdamWTest {
  @Test
  void first_step_matches_hand_computed_value() {
    try (NDManager manager = NDManager.newBaseManager(); AdamW adam = new AdamW(manager, 0.1f, 0.01f, 0, 10)) {
      NDArray w = manager.create(new float[] {1f});
      NDArray g = manager.create(new float[] {0.5f});

      adam.beginStep();
      try (NDManager scope = manager.newSubManager()) {
        adam.update("w", w, g, scope);
      }

      // m̂ = 0.5, v̂ = 0.25 → direction 1 + decay 0.01·1; rate(1) = 0.1·(1 − 0.9·1/10) = 0.091 → 1 − 0.091·1.01.
      assertThat(w.getFloat()).isCloseTo(1f - 0.091f * 1.01f, within(1e-6f));
      assertThat(adam.mean().get("w").getFloat()).isCloseTo(0.05f, within(1e-7f));
      assertThat(adam.variance().get("w").getFloat()).isCloseTo(0.00025f, within(1e-8f));
    }
  }

  @Test
  void learning_rate_warms_up_then_decays_to_a_tenth() {
    try (NDManager manager = NDManager.newBaseManager(); AdamW adam = new AdamW(manager, 0.1f, 0f, 2, 10)) {
      assertThat(adam.rate(1)).isCloseTo(0.05f, within(1e-7f));
      assertThat(adam.rate(2)).isCloseTo(0.1f, within(1e-7f));
      assertThat(adam.rate(6)).isCloseTo(0.1f * (1 - 0.9f * 4 / 8), within(1e-7f));
      assertThat(adam.rate(10)).isCloseTo(0.01f, within(1e-7f));
    }
  }
}

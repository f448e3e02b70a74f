package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RetrievalLossesTest {
  private final NDManager manager = NDManager.newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @Test
  void info_nce_matches_hand_computed_value() {
    // Query 0: sims (0.5, 0.1, 0.3), positive 0; query 1: sims (0.2, 0.4, 0.0), positive 1; τ = 0.5.
    // Row 0 logits (1.0, 0.2, 0.6): -log(e^1 / (e^1 + e^0.2 + e^0.6)) = 0.75125.
    // Row 1 logits (0.4, 0.8, 0.0): -log(e^0.8 / (e^0.4 + e^0.8 + e^0)) = 0.75125.
    var sim = manager.create(new float[] {0.5f, 0.1f, 0.3f, 0.2f, 0.4f, 0.0f}, new Shape(2, 3));
    var positives = manager.create(new float[] {1, 0, 0, 0, 1, 0}, new Shape(2, 3));
    var valid = manager.create(new float[] {1, 1, 1}, new Shape(1, 3));

    float loss = RetrievalLosses.infoNce(sim, positives, valid, 0.5f).getFloat();

    assertThat(loss).isCloseTo(0.75125f, within(1e-4f));
  }

  @Test
  void info_nce_ignores_masked_keys() {
    var sim = manager.create(new float[] {0.5f, 0.1f, 0.9f}, new Shape(1, 3));
    var positives = manager.create(new float[] {1, 0, 0}, new Shape(1, 3));
    var mask = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));

    // Only (1.0, 0.2) remain: -log(e^1 / (e^1 + e^0.2)) = 0.3711.
    assertThat(RetrievalLosses.infoNce(sim, positives, mask, 0.5f).getFloat()).isCloseTo(0.3711f, within(1e-3f));
  }

  @Test
  void kl_distillation_matches_hand_computed_value() {
    // Teacher (0, ln 3) at T=1 → p = (0.25, 0.75). Student sims (0.1, 0.2) at τ=0.1 → logits (1, 2),
    // q = (0.2689, 0.7311). KL = 0.25 ln(0.25/0.2689) + 0.75 ln(0.75/0.7311) = 0.00095.
    // Third candidate is invalid and must not count.
    var student = manager.create(new float[] {0.1f, 0.2f, 0.9f}, new Shape(1, 3));
    var teacher = manager.create(new float[] {0f, (float) Math.log(3), 5f}, new Shape(1, 3));
    var valid = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));

    float kl = RetrievalLosses.klDistillation(student, teacher, valid, 1f, 0.1f).getFloat();

    double expected = 0.25 * Math.log(0.25 / 0.268941) + 0.75 * Math.log(0.75 / 0.731059);
    assertThat((double) kl).isCloseTo(expected, within(1e-4));
  }

  @Test
  void kl_is_zero_when_student_matches_teacher() {
    var student = manager.create(new float[] {0.1f, 0.3f}, new Shape(1, 2));
    var teacher = manager.create(new float[] {1f, 3f}, new Shape(1, 2));
    var valid = manager.create(new float[] {1, 1}, new Shape(1, 2));

    assertThat(RetrievalLosses.klDistillation(student, teacher, valid, 1f, 0.1f).getFloat()).isCloseTo(0f, within(1e-5f));
  }
}

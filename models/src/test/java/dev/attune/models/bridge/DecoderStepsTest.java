package dev.attune.models.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The decoder's masking rules, step by step, on a hand-worked sequence. */
class DecoderStepsTest {
  static final float M = DecoderSteps.MASKED;

  @Test
  void masks_padding_repeats_past_the_cap_stop_first_and_everything_but_stop_at_max_length() {
    // 3 real candidates in 4 slots (slot 3 is padding), STOP is option 4; maxLength 3, maxRepeats 2.
    DecoderSteps s = DecoderSteps.of(List.of(List.of(2, 2)), new int[] {3}, 4, 3, 2);

    assertThat(s.steps()).isEqualTo(4);
    assertThat(row(s.penalty(), 0)).containsExactly(0, 0, 0, M, M); // no STOP before a passage, no padding
    assertThat(row(s.penalty(), 1)).containsExactly(0, 0, 0, M, 0);
    assertThat(row(s.penalty(), 2)).containsExactly(0, 0, M, M, 0); // candidate 2 used twice
    assertThat(row(s.penalty(), 3)).containsExactly(M, M, M, M, 0); // at maxLength only STOP
    assertThat(row(s.target(), 0)).containsExactly(0, 0, 1, 0, 0);
    assertThat(row(s.target(), 1)).containsExactly(0, 0, 1, 0, 0);
    assertThat(row(s.target(), 2)).containsExactly(0, 0, 0, 0, 1); // STOP after the sequence
    assertThat(row(s.target(), 3)).containsExactly(0, 0, 0, 0, 0);
    assertThat(s.stepValid()).containsExactly(1, 1, 1, 0);
    assertThat(row(s.copies(), 2)).containsExactly(0, 0, 2, 0, 0);
    assertThat(row(s.last(), 1)).containsExactly(0, 0, 1, 0, 0);
    assertThat(s.prefixLength()).containsExactly(1, 1, 2, 3);
  }

  @Test
  void rejects_a_sequence_the_decoder_could_not_emit() {
    assertThatThrownBy(() -> DecoderSteps.of(List.of(List.of(1, 1, 1)), new int[] {3}, 4, 3, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("step 2");
    assertThatThrownBy(() -> DecoderSteps.of(List.of(List.of(3)), new int[] {3}, 4, 3, 2))
        .hasMessageContaining("step 0");
    assertThatThrownBy(() -> DecoderSteps.of(List.of(List.of()), new int[] {3}, 4, 3, 2))
        .as("the empty sequence would be STOP first").hasMessageContaining("step 0");
  }

  @Test
  void prefixes_leave_the_next_step_untargeted() {
    DecoderSteps s = DecoderSteps.ofPrefixes(List.of(List.of(), List.of(0)), new int[] {2, 2}, 2, 2, 1);

    assertThat(s.stepValid()).containsExactly(0, 0, 0, 1, 0, 0);
    assertThat(java.util.Arrays.copyOfRange(s.penalty(), (1 * 3 + 1) * 3, (1 * 3 + 1) * 3 + 3)).as("row 1, step 1").containsExactly(M, 0, 0);
  }

  private static float[] row(float[] values, int step) {
    return java.util.Arrays.copyOfRange(values, step * 5, step * 5 + 5);
  }
}

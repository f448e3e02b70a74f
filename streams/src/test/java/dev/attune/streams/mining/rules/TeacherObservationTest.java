package dev.attune.streams.mining.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TeacherObservationTest {

  @Test
  void count_utf8_bytes_as_the_encoder_writes_them() {
    for (String text : new String[] {"", "plain ascii", "café", "€ and ≠", "a clef 𝄞 here", "Ünïcödé 中文 😀😀"}) {
      assertThat(TeacherObservation.utf8(text)).as(text).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
    assertThat(TeacherObservation.utf8(null)).isZero();
  }

  @Test
  void never_count_a_lone_surrogate_below_its_encoding() {
    String lone = "x\uD800y";

    assertThat(TeacherObservation.utf8(lone)).isGreaterThanOrEqualTo(lone.getBytes(StandardCharsets.UTF_8).length);
  }
}

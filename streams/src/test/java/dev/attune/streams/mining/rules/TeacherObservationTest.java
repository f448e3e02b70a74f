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
  void a_passage_counts_its_utf8_bytes_and_decodes_them_back() {
    CorpusUpdate passage = new CorpusUpdate("p1", false, "Zürich", "a clef 𝄞 here");
    assertThat(passage.textBytes()).isEqualTo("Zürich".getBytes(StandardCharsets.UTF_8).length + "a clef 𝄞 here".getBytes(StandardCharsets.UTF_8).length);
    CorpusUpdate restored = new CorpusUpdate();
    restored.title = passage.title;
    restored.text = passage.text;
    assertThat(restored.title()).isEqualTo("Zürich");
    assertThat(restored.text()).isEqualTo("a clef 𝄞 here");
    assertThat(restored.textBytes()).isEqualTo(passage.textBytes());
  }

  @Test
  void never_count_a_lone_surrogate_below_its_encoding() {
    String lone = "x\uD800y";

    assertThat(TeacherObservation.utf8(lone)).isGreaterThanOrEqualTo(lone.getBytes(StandardCharsets.UTF_8).length);
  }
}

package dev.attune.streams.mining.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.attune.schemas.PreferenceStats;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PreferenceStatisticsTest {

  @Test
  void report_human_llm_overlap_llm_pair_overlap_and_label_copying() {
    PreferenceStatistics stats = new PreferenceStatistics();
    stats.add(new EpisodePreferences(List.of("p5"), Map.of("a", List.of("p3", "p1"), "b", List.of("p5", "p3"))));
    stats.add(new EpisodePreferences(List.of(), Map.of("a", List.of("p1", "p2"))));

    PreferenceStats out = stats.toRecord(10, 20);

    assertThat(out.getEpisodes()).isEqualTo(2);
    assertThat(out.getLabeledEpisodes()).isEqualTo(1);
    // a: J({p5}, {p3, p1}) = 0; b: J({p5}, {p5, p3}) = 1/2, and b's top-1 is the label.
    assertThat(out.getHumanLlmOverlap()).isCloseTo(0.25, within(1e-12));
    assertThat(out.getLlmCopiesHumanShare()).isCloseTo(0.5, within(1e-12));
    assertThat(out.getPerLlm().get("a").getEpisodes()).isEqualTo(2);
    assertThat(out.getPerLlm().get("a").getLabeledEpisodes()).isEqualTo(1);
    assertThat(out.getPerLlm().get("b").getCopiesHumanShare()).isEqualTo(1.0);
    // J({p3, p1}, {p5, p3}) = 1/3, over the one episode both scored.
    assertThat(out.getLlmPairOverlap().get("a|b")).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(out.getLlmPairEpisodes()).containsEntry("a|b", 1L);
  }

  @Test
  void report_zeros_for_a_window_without_labels() {
    PreferenceStatistics stats = new PreferenceStatistics();
    stats.add(new EpisodePreferences(List.of(), Map.of("a", List.of("p1"))));

    PreferenceStats out = stats.toRecord(0, 1);

    assertThat(out.getHumanLlmOverlap()).isZero();
    assertThat(out.getLlmCopiesHumanShare()).isZero();
    assertThat(out.getLlmPairOverlap()).isEmpty();
  }
}

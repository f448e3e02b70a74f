package dev.attune.streams.mining;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OffsetSpecTest {

  @Test
  void parse_every_form_of_position() {
    assertThat(OffsetSpec.parse("earliest")).isEqualTo(OffsetSpec.EARLIEST);
    assertThat(OffsetSpec.parse(" latest ")).isEqualTo(OffsetSpec.LATEST);
    assertThat(OffsetSpec.parse("timestamp:1763700000000"))
        .isEqualTo(new OffsetSpec(OffsetSpec.Kind.TIMESTAMP, 1763700000000L, Map.of()));
    assertThat(OffsetSpec.parse("offsets:0=42, 1=7").offsets()).containsExactlyInAnyOrderEntriesOf(Map.of(0, 42L, 1, 7L));
  }

  @Test
  void reject_unknown_forms_with_the_accepted_ones_in_the_message() {
    assertThatThrownBy(() -> OffsetSpec.parse("yesterday")).hasMessageContaining("timestamp:<ms>");
    assertThatThrownBy(() -> OffsetSpec.parse("offsets:0")).hasMessageContaining("offsets:0");
    assertThatThrownBy(() -> OffsetSpec.parse("timestamp:soon")).hasMessageContaining("timestamp:soon");
  }

  @Test
  void not_allow_a_backfill_to_stop_at_earliest() {
    assertThatThrownBy(() -> new Backfill(OffsetSpec.EARLIEST, OffsetSpec.EARLIEST)).hasMessageContaining("earliest");
  }
}

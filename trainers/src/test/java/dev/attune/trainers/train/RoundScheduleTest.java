package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import org.junit.jupiter.api.Test;

class RoundScheduleTest {
  private static void decide(ModelLog log, int version, Integer index, ModelStatus status) {
    log.apply(ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version).setName(ModelRegistry.name(version))
        .setArtifactUri("file:///m/" + version).setCreatedAtMs(version).setStatus(status).setIndexVersion(index).build());
  }

  @Test
  void query_side_rounds_keep_the_serving_index_until_the_schedule_calls_for_a_full_one() {
    RoundSchedule every3 = new RoundSchedule(RoundKind.QUERY_SIDE, 3, 0);
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    assertThat(every3.next(log).kind()).isEqualTo(RoundKind.QUERY_SIDE);

    decide(log, 1, 0, ModelStatus.PROMOTED);
    decide(log, 2, 0, ModelStatus.REJECTED);
    assertThat(every3.next(log)).isEqualTo(new RoundSchedule.Planned(RoundKind.QUERY_SIDE, "keeps index retriever-v0"));

    decide(log, 3, 0, ModelStatus.PROMOTED);
    assertThat(every3.next(log)).isEqualTo(new RoundSchedule.Planned(RoundKind.FULL, "3 query-side rounds on retriever-v0 (full every 3)"));

    // The full round builds a new index; counting starts over on it.
    decide(log, 4, null, ModelStatus.PROMOTED);
    assertThat(every3.next(log).kind()).isEqualTo(RoundKind.QUERY_SIDE);
  }

  @Test
  void rejected_query_side_rounds_in_a_row_call_for_a_full_one() {
    RoundSchedule schedule = new RoundSchedule(RoundKind.QUERY_SIDE, 0, 2);
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    decide(log, 1, 0, ModelStatus.REJECTED);
    decide(log, 2, 0, ModelStatus.PROMOTED);
    decide(log, 3, 0, ModelStatus.REJECTED);
    assertThat(schedule.next(log).kind()).isEqualTo(RoundKind.QUERY_SIDE);

    decide(log, 4, 0, ModelStatus.REJECTED);

    assertThat(schedule.next(log)).isEqualTo(new RoundSchedule.Planned(RoundKind.FULL, "the last 2 query-side rounds on retriever-v0 were rejected"));
    assertThat(RoundSchedule.always(RoundKind.FULL).next(new ModelLog(ModelKind.RETRIEVER)).kind()).isEqualTo(RoundKind.FULL);
  }
}

package dev.attune.models.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelLogTest {
  static {
    AvroCodec.trust(ModelVersion.getClassSchema());
  }

  static ModelVersion version(int v, ModelStatus status) {
    return ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(v).setName(ModelRegistry.name(v))
        .setArtifactUri("file:///m/" + v).setParentVersion(v - 1).setCreatedAtMs(v).setStatus(status).build();
  }

  @Test
  void serves_the_latest_promotion_and_falls_back_on_rollback() {
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    log.apply(version(1, ModelStatus.PROMOTED));
    log.apply(version(2, ModelStatus.REJECTED));
    log.apply(version(3, ModelStatus.PROMOTED));
    assertThat(log.servingVersion()).isEqualTo(3);
    assertThat(log.previousVersion()).isEqualTo(1);

    log.apply(version(3, ModelStatus.ROLLED_BACK));

    assertThat(log.servingVersion()).isEqualTo(1);
    assertThat(log.versions().get(3).getStatus()).isEqualTo(ModelStatus.ROLLED_BACK);
  }

  @Test
  void rollback_to_any_earlier_version_takes_one_rollback_and_one_promotion() {
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    List.of(1, 2, 3).forEach(v -> log.apply(version(v, ModelStatus.PROMOTED)));

    List<ModelVersion> records = log.rollbackTo(1, "ops", 99L);
    records.forEach(log::apply);

    assertThat(records).extracting(ModelVersion::getVersion, ModelVersion::getStatus)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(3, ModelStatus.ROLLED_BACK), org.assertj.core.groups.Tuple.tuple(1, ModelStatus.PROMOTED));
    assertThat(records.get(1).getReason()).isEqualTo("rollback from v3 to v1 by ops");
    assertThat(log.servingVersion()).isEqualTo(1);
    assertThat(log.versions().get(1).getArtifactUri()).isEqualTo("file:///m/1");
  }

  @Test
  void rollback_to_the_base_and_to_unknown_versions() {
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    log.apply(version(1, ModelStatus.PROMOTED));
    assertThatThrownBy(() -> log.rollbackTo(7, "ops", 1L)).hasMessageContaining("no version 7");
    assertThatThrownBy(() -> log.rollbackTo(1, "ops", 1L)).hasMessageContaining("already served");

    log.rollbackTo(0, "ops", 1L).forEach(log::apply);

    assertThat(log.servingVersion()).isZero();
  }

  @Test
  void other_kinds_are_ignored() {
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    ModelVersion bridge = version(4, ModelStatus.PROMOTED);
    bridge.setKind(ModelKind.BRIDGE);

    log.apply(bridge);

    assertThat(log.servingVersion()).isZero();
    assertThat(log.versions()).isEmpty();
  }

  @Test
  void each_version_searches_its_own_index_or_the_one_its_query_encoder_was_trained_against() {
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    log.apply(version(1, ModelStatus.PROMOTED));
    ModelVersion querySide = version(2, ModelStatus.PROMOTED);
    querySide.setIndexVersion(1);
    log.apply(querySide);
    // A record naming a query-side version as its index is followed to the index that version searches.
    ModelVersion chained = version(3, ModelStatus.REJECTED);
    chained.setIndexVersion(2);
    log.apply(chained);

    assertThat(log.indexVersion(0)).isZero();
    assertThat(log.indexVersion(1)).isEqualTo(1);
    assertThat(log.indexVersion(2)).isEqualTo(1);
    assertThat(log.indexVersion(3)).isEqualTo(1);
    assertThat(log.querySideOn(1)).extracting(ModelVersion::getVersion).containsExactly(2, 3);
    assertThat(log.querySideOn(0)).isEmpty();

    // A rollback restates the record, pairing included.
    log.rollbackTo(1, "ops", 9L).forEach(log::apply);
    assertThat(log.versions().get(2).getIndexVersion()).isEqualTo(1);
    assertThat(log.indexVersion(log.servingVersion())).isEqualTo(1);
  }
}

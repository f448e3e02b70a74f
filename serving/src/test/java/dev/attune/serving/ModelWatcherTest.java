package dev.attune.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The served-version rule as serving applies it, over Kafka's {@code MockConsumer}. */
class ModelWatcherTest {
  private static final Topic<ModelVersion> TOPIC = Topics.defaults().modelVersions();
  private static final TopicPartition PARTITION = new TopicPartition(TOPIC.name(), 0);
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  private long offset;

  private void append(byte[] value) {
    consumer.addRecord(new ConsumerRecord<>(TOPIC.name(), 0, offset++, "RETRIEVER", value));
    consumer.updateEndOffsets(Map.of(PARTITION, offset));
  }

  private void append(ModelKind kind, int version, ModelStatus status) {
    append(AvroCodec.of(ModelVersion.class).encode(ModelVersion.newBuilder().setKind(kind).setVersion(version)
        .setName(kind.name().toLowerCase() + "-v" + version).setArtifactUri("file:///models/v" + version).setCreatedAtMs(version)
        .setStatus(status).build()));
  }

  private ModelWatcher watcher(List<ModelVersion> promoted) {
    consumer.updatePartitions(TOPIC.name(), List.of(new PartitionInfo(TOPIC.name(), 0, null, null, null)));
    consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
    consumer.updateEndOffsets(Map.of(PARTITION, 0L));
    // MockConsumer queues records only on an assigned partition; the watcher assigns the same one again.
    consumer.assign(List.of(PARTITION));
    return new ModelWatcher(consumer, TOPIC, ModelKind.RETRIEVER, promoted::add);
  }

  @Test
  void serve_the_latest_promoted_version_of_its_kind_skipping_what_it_cannot_read() {
    List<ModelVersion> promoted = new CopyOnWriteArrayList<>();
    ModelWatcher w = watcher(promoted);
    append(ModelKind.RETRIEVER, 1, ModelStatus.PROMOTED);
    append(ModelKind.RETRIEVER, 2, ModelStatus.REJECTED);
    append(ModelKind.BRIDGE, 3, ModelStatus.PROMOTED);
    append("not a model version".getBytes());

    assertThat(w.catchUp(Duration.ofSeconds(10))).isEqualTo("retriever-v1");
    assertThat(promoted).extracting(ModelVersion::getVersion).as("registered before it may be served").containsExactly(1);
  }

  @Test
  void report_each_change_of_decision_while_running() throws Exception {
    List<String> changes = new CopyOnWriteArrayList<>();
    ModelWatcher w = watcher(new CopyOnWriteArrayList<>());
    append(ModelKind.RETRIEVER, 1, ModelStatus.PROMOTED);
    assertThat(w.catchUp(Duration.ofSeconds(10))).isEqualTo("retriever-v1");
    Thread running = new Thread(w.onChange(changes::add), "model-watcher");
    running.start();
    try {
      append(ModelKind.RETRIEVER, 2, ModelStatus.PROMOTED);
      await().atMost(Duration.ofSeconds(10)).until(() -> changes.contains("retriever-v2"));
      append(ModelKind.RETRIEVER, 2, ModelStatus.ROLLED_BACK);
      await().atMost(Duration.ofSeconds(10)).until(() -> changes.contains("retriever-v1"));
    } finally {
      w.close();
      running.join(10_000);
    }
    assertThat(changes).containsExactly("retriever-v2", "retriever-v1");
  }
}

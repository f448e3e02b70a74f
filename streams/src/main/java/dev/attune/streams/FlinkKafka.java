package dev.attune.streams;

import dev.attune.schemas.KafkaSettings;
import dev.attune.streams.mining.OffsetSpec;
import dev.attune.streams.mining.operators.KafkaRecords;
import dev.attune.streams.mining.operators.KeyedBytes;
import dev.attune.streams.mining.operators.RawRecord;
import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * How a Flink job of Attune's reads and writes Kafka: raw records in (decoded by the job, so bad
 * bytes reach its dead-letter sink), committed reads only, and exactly-once sinks whose transactions
 * commit at checkpoints.
 *
 * @param kafka how to reach Kafka
 * @param role the job's client name ({@code miner}, {@code scorer})
 * @param groupId consumer group; also the transactional id prefix
 */
public record FlinkKafka(KafkaSettings kafka, String role, String groupId) {

  /**
   * The Kafka settings as Flink's connector takes them: Flink names its clients itself, so a
   * configured {@code client.id} becomes its prefix. File paths in them (trust stores) must exist on
   * every TaskManager.
   */
  private Properties client() {
    Properties props = kafka.common(role);
    props.remove("client.id");
    String prefix = kafka.client().get("client.id");
    if (prefix != null && !prefix.isBlank()) props.setProperty("client.id.prefix", prefix + "-" + role);
    return props;
  }

  /**
   * A source over {@code topic} from {@code from} (null: the group's committed offsets, else
   * earliest) to {@code to} (null: unbounded), under the group id with {@code groupSuffix}.
   */
  public KafkaSource<RawRecord> source(String topic, String groupSuffix, OffsetSpec from, OffsetSpec to) {
    var builder = builder(List.of(topic), groupSuffix)
        .setStartingOffsets(from == null ? OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST) : from.initializer(topic));
    if (to != null) builder.setBounded(to.initializer(topic));
    return builder.build();
  }

  /** An unbounded source over {@code topics} from the group's committed offsets (else earliest). */
  public KafkaSource<RawRecord> source(List<String> topics, String groupSuffix) {
    return builder(topics, groupSuffix).setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST)).build();
  }

  private org.apache.flink.connector.kafka.source.KafkaSourceBuilder<RawRecord> builder(List<String> topics, String groupSuffix) {
    return KafkaSource.<RawRecord>builder()
        .setProperties(client())
        .setTopics(topics)
        .setGroupId(groupId + groupSuffix)
        .setDeserializer(new KafkaRecords.RawDeserializer())
        .setProperty("isolation.level", "read_committed")
        .setProperty("partition.discovery.interval.ms", "10000");
  }

  public KafkaSink<KeyedBytes> sink(String topic, String name) {
    Properties producer = client();
    // Must not exceed the broker's transaction.max.timeout.ms (15 min by default).
    producer.setProperty("transaction.timeout.ms", "600000");
    kafka.bulkProducer(producer, "");
    // Its records become readable when the checkpoint commits the transaction (which flushes first),
    // so waiting to fill a batch costs no latency.
    if (!kafka.client().containsKey("linger.ms")) producer.setProperty("linger.ms", "50");
    return KafkaSink.<KeyedBytes>builder()
        .setBootstrapServers(kafka.bootstrapServers())
        .setRecordSerializer(new KafkaRecords.KeyedSerializer(topic))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(groupId + "-" + name)
        .setKafkaProducerConfig(producer)
        .build();
  }
}

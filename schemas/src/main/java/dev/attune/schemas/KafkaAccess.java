package dev.attune.schemas;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** How the trainers talk to Kafka: read committed data without a group, write idempotently. */
public final class KafkaAccess {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaAccess.class);

  private KafkaAccess() {}

  public static Properties consumerProperties(String bootstrapServers) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    return props;
  }

  public static Properties producerProperties(String bootstrapServers) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("enable.idempotence", "true");
    return props;
  }

  /** The topic's partitions; a clear error when it does not exist. */
  public static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic, String bootstrapServers) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " does not exist at " + bootstrapServers + "; create the topics before the trainer starts");
    }
    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
  }

  /**
   * The topic's partitions once it exists: a process started before its topics (or its broker) waits,
   * saying so every {@code every}, instead of starting blind.
   */
  public static List<TopicPartition> awaitPartitions(Consumer<?, ?> consumer, String topic, String who, Duration every) {
    long started = System.nanoTime();
    while (true) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, every);
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        infos = List.of();
      }
      if (infos != null && !infos.isEmpty()) return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      LOG.warn("{}: waiting for topic {} to exist ({} s so far)", who, topic, Duration.ofNanos(System.nanoTime() - started).toSeconds());
      try {
        Thread.sleep(every.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(who + ": interrupted while waiting for topic " + topic, e);
      }
    }
  }
}

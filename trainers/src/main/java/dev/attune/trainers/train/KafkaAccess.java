package dev.attune.trainers.train;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** How the trainers talk to Kafka: read committed data without a group, write idempotently. */
public final class KafkaAccess {
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
}

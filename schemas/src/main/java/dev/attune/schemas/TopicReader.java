package dev.attune.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic as it stands: the registry commands, backfill, the benchmarks and the tests. */
public final class TopicReader {
  private TopicReader() {}

  /**
   * Reads every committed record of {@code topic} from its start to its end as of the call, handing
   * each value to {@code each}; returns how many. Fails, rather than return part, when the end is not
   * reached within 60 s.
   */
  public static int readAll(String bootstrapServers, String topic, Consumer<byte[]> each) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("isolation.level", "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      int n = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end (" + end + ") at " + bootstrapServers + " within 60 s; read " + n);
        }
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          each.accept(r.value());
          n++;
        }
      }
      return n;
    }
  }
}

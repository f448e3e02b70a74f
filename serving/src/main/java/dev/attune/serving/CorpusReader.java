package dev.attune.serving;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads the compacted corpus topic from the start to its current end; the latest event per passage wins. */
public final class CorpusReader {
  private CorpusReader() {}

  public static Corpus readAll(String bootstrapServers, Topic<PassageEvent> topic, Duration timeout) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("isolation.level", "read_committed");
    AvroCodec<PassageEvent> codec = topic.codec();
    Map<String, Corpus.Passage> passages = new LinkedHashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic.name(), timeout).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.currentTimeMillis() + timeout.toMillis();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("corpus topic " + topic.name() + " not read to its end within " + timeout);
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          try {
            PassageEvent e = codec.decode(r.value());
            if (e.getOp() == PassageOp.DELETE) passages.remove(e.getPassageId());
            else if (e.getText() != null) passages.put(e.getPassageId(), new Corpus.Passage(e.getPassageId(), e.getTitle(), e.getText()));
          } catch (EventDecodingException e) {
            // The mining job dead-letters corpus records it cannot decode; serving just skips them.
          }
        }
      }
    }
    return new Corpus(List.copyOf(passages.values()));
  }
}

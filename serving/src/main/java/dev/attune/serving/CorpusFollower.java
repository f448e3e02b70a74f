package dev.attune.serving;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.Limits;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topic;
import dev.attune.schemas.KafkaAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows the compacted corpus topic from its start: keeps the current corpus (latest event per
 * passage wins) and hands every change, with its offset, to whoever keeps indexes in step. Used
 * by one thread only, like the consumer inside it.
 */
public final class CorpusFollower implements AutoCloseable {
  /** One corpus change; {@code passage} is null for a delete. */
  public record Change(String passageId, Corpus.Passage passage, int partition, long offset) {}

  private static final Duration WAIT_REPORT = Duration.ofSeconds(5);
  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final EventValidator validator;
  private final AvroCodec<PassageEvent> codec;
  private final List<TopicPartition> partitions = new ArrayList<>();
  private final Map<String, Corpus.Passage> passages = new LinkedHashMap<>();
  private volatile int size;
  private long skipped;

  public CorpusFollower(KafkaSettings kafka, Topic<PassageEvent> topic, Limits limits) {
    this(new KafkaConsumer<>(kafka.consumer("serving-corpus"), new StringDeserializer(), new ByteArrayDeserializer()), topic, limits);
  }

  /**
   * Follows the topic through {@code consumer}, which it owns from now on; the first read waits for
   * the topic to exist. Passages the validator rejects (blank, over the limits) are skipped, as the
   * miner dead-letters them: nothing is served that could never be mined.
   */
  CorpusFollower(Consumer<String, byte[]> consumer, Topic<PassageEvent> topic, Limits limits) {
    this.codec = topic.codec();
    this.topic = topic.name();
    this.validator = new EventValidator(limits);
    this.consumer = consumer;
  }

  /** Assigns the topic's partitions from their start, once it exists. */
  private void assigned() {
    if (!partitions.isEmpty()) return;
    partitions.addAll(KafkaAccess.awaitPartitions(consumer, topic, "serving", WAIT_REPORT));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Polls once; returns the decodable changes, already applied to the corpus. */
  public List<Change> poll(Duration timeout) {
    assigned();
    List<Change> changes = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) apply(r, changes);
    return changes;
  }

  /** Applies one record to the corpus; a change goes to {@code changes}, an unusable record is counted and skipped. */
  private void apply(ConsumerRecord<String, byte[]> r, List<Change> changes) {
    PassageEvent e;
    try {
      e = codec.decode(r.value(), validator.limits().maxEventBytes());
    } catch (EventDecodingException bad) {
      // The mining job dead-letters corpus records it cannot decode, with the reason; serving counts and skips them.
      skipped++;
      return;
    }
    if (validator.validate(e).isPresent()) {
      skipped++;
      return;
    }
    if (e.getOp() == PassageOp.DELETE) {
      passages.remove(e.getPassageId());
      changes.add(new Change(e.getPassageId(), null, r.partition(), r.offset()));
    } else {
      Corpus.Passage p = new Corpus.Passage(e.getPassageId(), e.getTitle(), e.getText());
      passages.put(p.id(), p);
      changes.add(new Change(p.id(), p, r.partition(), r.offset()));
    }
    size = passages.size();
  }

  /** Reads up to the end offsets as of now and returns every change on the way. */
  public List<Change> catchUp(Duration timeout) {
    assigned();
    List<Change> changes = new ArrayList<>();
    KafkaAccess.readToEnd(consumer, partitions, timeout, r -> apply(r, changes));
    return changes;
  }

  public Corpus snapshot() {
    return new Corpus(List.copyOf(passages.values()));
  }

  /** Current size; safe to read from any thread. */
  public int size() {
    return size;
  }

  public long skipped() {
    return skipped;
  }

  /** Next offset to read per partition, encoded as {@code partition:offset,...}. */
  public String positions() {
    assigned();
    return encode(partitions.stream().collect(Collectors.toMap(TopicPartition::partition, consumer::position)));
  }

  public static String encode(Map<Integer, Long> offsets) {
    return offsets.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + ":" + e.getValue())
        .collect(Collectors.joining(","));
  }

  public static Map<Integer, Long> decode(String offsets) {
    Map<Integer, Long> out = new HashMap<>();
    if (offsets == null || offsets.isBlank()) return out;
    for (String part : offsets.split(",")) {
      String[] kv = part.split(":");
      out.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
    }
    return out;
  }

  @Override
  public void close() {
    consumer.close();
  }
}

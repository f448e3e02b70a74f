package dev.attune.console;

import dev.attune.schemas.Topic;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Is the loop flowing: every so often, how many records each Attune topic holds (its partitions'
 * end offsets) and how far each consumer group is behind the topics it reads (end offset minus
 * committed offset: the assembler's Streams application, the Flink jobs' sources). A bounded
 * history of samples, for the rate plots.
 */
final class FlowSampler {
  /** One sample: records per topic and lag per consumer group at {@code atMs}. */
  record Sample(long atMs, Map<String, Long> records, Map<String, Long> lag) {}

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  private final Admin admin;
  private final List<String> topics;
  private final int keep;
  private final Deque<Sample> samples = new ArrayDeque<>();
  private volatile String error;

  FlowSampler(Admin admin, List<Topic<?>> topics, int keep) {
    this.admin = admin;
    this.topics = topics.stream().map(Topic::name).toList();
    this.keep = keep;
  }

  /** Takes one sample; a failure (broker away) is kept as the view's error, and the history stays. */
  void sample(long nowMs) {
    try {
      Map<TopicPartition, Long> ends = endOffsets();
      Map<String, Long> records = new TreeMap<>();
      ends.forEach((tp, end) -> records.merge(tp.topic(), end, Long::sum));
      Sample s = new Sample(nowMs, records, lag(ends));
      synchronized (this) {
        samples.addLast(s);
        if (samples.size() > keep) samples.removeFirst();
      }
      error = null;
    } catch (Exception e) {
      error = "cannot read topic sizes from Kafka: " + e;
    }
  }

  /** Every partition's end offset of the Attune topics that exist, read once per sample for both figures. */
  private Map<TopicPartition, Long> endOffsets() throws Exception {
    Set<String> existing = admin.listTopics().names().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    List<String> present = topics.stream().filter(existing::contains).toList();
    Map<String, TopicDescription> described = admin.describeTopics(present).allTopicNames().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    described.values().forEach(d -> d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
    Map<TopicPartition, Long> out = new HashMap<>();
    admin.listOffsets(latest).all().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  /** Per consumer group, how far its committed offsets on the Attune topics are behind {@code ends}. */
  private Map<String, Long> lag(Map<TopicPartition, Long> ends) throws Exception {
    List<String> groups = admin.listConsumerGroups().all().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS).stream()
        .map(ConsumerGroupListing::groupId).toList();
    Map<String, Long> out = new TreeMap<>();
    for (String group : groups) {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
          .get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      long behind = 0;
      boolean reads = false;
      for (var e : committed.entrySet()) {
        Long end = ends.get(e.getKey());
        if (e.getValue() == null || end == null) continue;
        reads = true;
        behind += Math.max(0, end - e.getValue().offset());
      }
      if (reads) out.put(group, behind);
    }
    return out;
  }

  synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  String error() {
    return error;
  }
}

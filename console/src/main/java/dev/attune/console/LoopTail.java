package dev.attune.console;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PreferenceStats;
import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads, from their start and then as they grow, the three topics that say what the loop decided
 * and what it could not use: every model decision (the trainer's and operators'), every
 * preference-statistics window of the miner, every dead letter (counted by stage and reason, the
 * latest kept in full). Positions are its own: it commits nothing, so it disturbs no stage.
 */
final class LoopTail implements Runnable, AutoCloseable {
  /** A dead letter as the console shows it (no payload). */
  record Rejected(long atMs, String stage, String reason, String sourceTopic, String detail) {}

  /** Dead letters counted by stage and reason. */
  record ReasonCount(String stage, String reason, long count) {}

  private static final int KEEP_DECISIONS = 10_000;
  private static final int KEEP_WINDOWS = 2_000;
  private static final int KEEP_REJECTED = 50;
  private static final int MAX_DETAIL = 300;
  private final Topics topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AvroCodec<ModelVersion> decisionCodec;
  private final AvroCodec<PreferenceStats> statsCodec;
  private final AvroCodec<DeadLetter> deadLetterCodec;
  private final List<ModelVersion> decisions = new ArrayList<>();
  private final Deque<PreferenceStats> windows = new ArrayDeque<>();
  private final Map<String, Map<String, Long>> deadLetters = new TreeMap<>();
  private final Deque<Rejected> rejected = new ArrayDeque<>();
  private long unreadable;
  private volatile boolean running = true;

  LoopTail(KafkaSettings kafka, Topics topics) {
    this.topics = topics;
    this.consumer = new KafkaConsumer<>(kafka.consumer("console"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.decisionCodec = topics.modelVersions().codec();
    this.statsCodec = topics.preferenceStats().codec();
    this.deadLetterCodec = topics.deadLetters().codec();
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (var topic : List.of(topics.modelVersions(), topics.preferenceStats(), topics.deadLetters())) {
        if (!running) return;
        partitions.addAll(KafkaAccess.awaitPartitions(consumer, topic.name(), "console", Duration.ofSeconds(5)));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) apply(r);
      }
    } catch (WakeupException e) {
      if (running) throw e;
    } finally {
      consumer.close();
    }
  }

  private synchronized void apply(ConsumerRecord<byte[], byte[]> r) {
    try {
      if (r.topic().equals(topics.modelVersions().name())) {
        decisions.add(decisionCodec.decode(r.value()));
        if (decisions.size() > KEEP_DECISIONS) decisions.remove(0);
      } else if (r.topic().equals(topics.preferenceStats().name())) {
        windows.addLast(statsCodec.decode(r.value()));
        if (windows.size() > KEEP_WINDOWS) windows.removeFirst();
      } else {
        DeadLetter d = deadLetterCodec.decode(r.value());
        deadLetters.computeIfAbsent(d.getStage(), s -> new TreeMap<>()).merge(d.getReason(), 1L, Long::sum);
        String detail = d.getDetail().length() > MAX_DETAIL ? d.getDetail().substring(0, MAX_DETAIL) + "…" : d.getDetail();
        rejected.addFirst(new Rejected(d.getTimestampMs(), d.getStage(), d.getReason(), d.getSourceTopic(), detail));
        if (rejected.size() > KEEP_REJECTED) rejected.removeLast();
      }
    } catch (RuntimeException e) {
      // Not ours to dead-letter: the console only reads; it counts what it could not decode.
      unreadable++;
    }
  }

  /** Every model decision read so far, in topic order (the last 10,000). */
  synchronized List<ModelVersion> decisions() {
    return List.copyOf(decisions);
  }

  /** The preference-statistics windows, oldest first (the last 2,000). */
  synchronized List<PreferenceStats> windows() {
    return List.copyOf(windows);
  }

  synchronized List<ReasonCount> deadLetterCounts() {
    List<ReasonCount> out = new ArrayList<>();
    deadLetters.forEach((stage, reasons) -> reasons.forEach((reason, n) -> out.add(new ReasonCount(stage, reason, n))));
    return out;
  }

  /** The latest dead letters, newest first. */
  synchronized List<Rejected> latestDeadLetters() {
    return List.copyOf(rejected);
  }

  synchronized long unreadable() {
    return unreadable;
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
  }
}

package dev.attune.schemas;

import java.time.Duration;
import java.util.List;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reading topics the way every Attune process does: find a topic's partitions (or wait for the topic
 * to exist), and read partitions to the end they had when asked. Clients get their properties from
 * {@link KafkaSettings}.
 */
public final class KafkaAccess {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaAccess.class);

  private KafkaAccess() {}

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

  /**
   * Hands {@code each} every record of {@code partitions} from the consumer's positions up to the end
   * offsets they had when called (assign and seek first). Fails naming the partitions when that takes
   * longer than {@code timeout}, rather than return part of them. Returns those end offsets.
   */
  public static <K, V> Map<TopicPartition, Long> readToEnd(Consumer<K, V> consumer, Collection<TopicPartition> partitions, Duration timeout,
      java.util.function.Consumer<ConsumerRecord<K, V>> each) {
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + partitions + " to their end " + end + " within " + timeout);
      }
      for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) each.accept(r);
    }
    return end;
  }

  /**
   * Reads a whole topic as it stands, with a consumer of its own, handing each value to {@code each};
   * returns how many (the registry commands, backfill, benchmarks and tests).
   */
  public static int readAll(KafkaSettings kafka, String topic, java.util.function.Consumer<byte[]> each) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.consumer("reader"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = partitions(consumer, topic, kafka.bootstrapServers());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      int[] n = {0};
      readToEnd(consumer, partitions, Duration.ofSeconds(60), r -> {
        each.accept(r.value());
        n[0]++;
      });
      return n[0];
    }
  }

  /**
   * Creates each topic of {@code topics} that does not exist yet, with its settings (retention,
   * compaction) and the given partitions and replication; returns the names it created. Existing
   * topics are left as they are.
   */
  public static List<String> createTopics(KafkaSettings kafka, List<Topic<?>> topics, int partitions, short replication) {
    try (Admin admin = Admin.create(kafka.admin("topics"))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Topic<?> t : topics) {
        if (!existing.contains(t.name())) missing.add(new NewTopic(t.name(), partitions, replication).configs(t.configs()));
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // Another process created one meanwhile: as good as created here.
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
      return missing.stream().map(NewTopic::name).toList();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create topics at " + kafka.bootstrapServers() + ": " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no answer from " + kafka.bootstrapServers() + " within 30 s while creating topics", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }
}

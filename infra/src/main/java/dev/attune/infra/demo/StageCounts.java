package dev.attune.infra.demo;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Committed records per topic, and the accounting: every input event is in an episode or dead-lettered. */
public record StageCounts(Map<String, Long> records, long eventsInEpisodes, Map<String, Long> deadLettersByStageAndReason,
    long assemblerDeadLetters, long minerEpisodeDeadLetters, long minerCorpusDeadLetters) {

  public static StageCounts read(String bootstrapServers, Topics topics) {
    Map<String, Long> records = new TreeMap<>();
    for (Topic<?> t : topics.all()) records.put(t.name(), (long) readAll(bootstrapServers, t.name(), v -> {}));
    long[] inEpisodes = {0};
    AvroCodec<FeedbackEpisode> episodes = AvroCodec.of(FeedbackEpisode.class);
    readAll(bootstrapServers, topics.episodes().name(), v -> {
      // Foreign bytes on the episodes topic are the miner's to dead-letter; they hold no joined events.
      try {
        inEpisodes[0] += episodes.decode(v).getEventIds().size();
      } catch (EventDecodingException e) {
        // counted by the miner's dead letters
      }
    });
    Map<String, Long> byReason = new TreeMap<>();
    long[] assembler = {0}, minerEpisodes = {0}, minerCorpus = {0};
    AvroCodec<DeadLetter> letters = AvroCodec.of(DeadLetter.class);
    readAll(bootstrapServers, topics.deadLetters().name(), v -> {
      DeadLetter d = letters.decode(v);
      byReason.merge(d.getStage() + "/" + d.getReason(), 1L, Long::sum);
      if (d.getStage().equals("assembler")) assembler[0]++;
      else if (d.getSourceTopic().equals(topics.corpus().name())) minerCorpus[0]++;
      else minerEpisodes[0]++;
    });
    return new StageCounts(records, inEpisodes[0], byReason, assembler[0], minerEpisodes[0], minerCorpus[0]);
  }

  /** Events written to the four assembler inputs. */
  public long assemblerInputs(Topics topics) {
    return topics.assemblerInputs().stream().mapToLong(t -> records.get(t.name())).sum();
  }

  public boolean assemblerBalanced(Topics topics) {
    return assemblerInputs(topics) == eventsInEpisodes + assemblerDeadLetters;
  }

  public boolean minerBalanced(Topics topics) {
    return records.get(topics.episodes().name()) == records.get(topics.trainingExamples().name()) + minerEpisodeDeadLetters;
  }

  /** Reads every committed record of {@code topic} from its start, handing each value to {@code each}; returns how many. */
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
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.currentTimeMillis() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          each.accept(r.value());
          n++;
        }
      }
      return n;
    }
  }
}

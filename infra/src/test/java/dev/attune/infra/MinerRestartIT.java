package dev.attune.infra;

import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.infra.cli.AttuneCli;
import dev.attune.testkit.StageCounts;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code attune mine} as its own process, killed with SIGKILL while episodes wait for a passage,
 * then started again on the same work directory: it resumes from its checkpoint, so every episode
 * ends in exactly one training example or one dead letter, and an episode mined before the kill is
 * still recognised as a duplicate after it. Then the broker goes down until the job fails: the job
 * restarts from its checkpoint inside the process, which mines again once the broker is back. It
 * runs with its state in RocksDB (incremental checkpoints), the store this path exercises nowhere
 * else; every other test of the miner runs on the heap.
 */
class MinerRestartIT {
  private static final Topics TOPICS = Topics.defaults();
  private static final long T0 = System.currentTimeMillis();
  private static final List<String> MINED_AT_ONCE = List.of("e1", "e2", "e3", "e4", "e5");
  private static final List<String> WAITING = List.of("w1", "w2", "w3");

  @TempDir Path work;

  @Test
  void resume_waiting_episodes_and_duplicate_detection_after_a_kill_9() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"));
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new StringSerializer(), new ByteArraySerializer())) {
      String bootstrap = kafka.bootstrapServers();
      EmbeddedKafka.createTopics(bootstrap, TOPICS.all(), 1, (short) 1);
      for (int i = 1; i <= 7; i++) passage(producer, "p" + i);

      // Given a miner holding three episodes that wait for passage p9, checkpointed with them
      Process miner = startMiner(bootstrap, "first");
      try {
        WAITING.forEach(id -> episode(producer, id, "p9"));
        MINED_AT_ONCE.forEach(id -> episode(producer, id, "p7"));
        producer.flush();
        // Examples commit with a checkpoint taken after the waiting episodes were read (same partition, earlier offsets).
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
          assertThat(miner.isAlive()).as("miner running; its log: %s", logOf("first")).isTrue();
          return exampleIds(bootstrap).containsAll(MINED_AT_ONCE);
        });
        assertThat(exampleIds(bootstrap)).doesNotContainAnyElementsOf(WAITING);
        // RocksDB's incremental checkpoints keep the state's files under shared/ (the heap's never do)
        try (var files = Files.walk(work.resolve("mine").resolve("checkpoints"))) {
          assertThat(files.filter(Files::isRegularFile).map(Path::getParent).map(Path::getFileName).map(Path::toString))
              .as("files of an incremental RocksDB checkpoint").contains("shared");
        }
      } finally {
        // When it is killed outright
        miner.destroyForcibly().waitFor();
      }

      // Then a restart on the same work directory mines the waiting episodes once p9 arrives and still knows e1
      passage(producer, "p9");
      episode(producer, "e1", "p7");
      producer.flush();
      Process again = startMiner(bootstrap, "second");
      try {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
            .until(() -> outcomes(bootstrap).keySet().containsAll(WAITING) && deadLetters(bootstrap).stream()
                .anyMatch(d -> d.getReason().equals(DeadLetterReason.DUPLICATE)));
        // A waiting episode whose retry timer fired before the restored corpus reached p9 is dead-lettered
        // UNKNOWN_PASSAGE: accounted for all the same. Before, it vanished.
        Map<String, List<String>> outcomes = outcomes(bootstrap);
        assertThat(outcomes).as("each request ends once: an example or a dead letter").containsOnlyKeys(concat(MINED_AT_ONCE, WAITING))
            .allSatisfy((id, ends) -> assertThat(ends).as(id).hasSize(1));
        MINED_AT_ONCE.forEach(id -> assertThat(outcomes.get(id)).containsExactly("example"));
        assertThat(deadLetters(bootstrap)).filteredOn(d -> d.getReason().equals(DeadLetterReason.DUPLICATE)).singleElement()
            .satisfies(d -> assertThat(new String(d.getKey().array(), StandardCharsets.UTF_8))
                .as("mined before the kill, still known after it").isEqualTo("e1"));
        assertThat(StageCounts.read(KafkaSettings.of(bootstrap), TOPICS).minerBalanced(TOPICS)).as("episodes in = examples + dead letters").isTrue();

        // And a broker outage that fails the job: it restarts from its checkpoint and the process lives on to mine again
        kafka.stop();
        Path log = logOf("second");
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
            .until(() -> Files.readString(log).contains("-> RESTARTING"));
        kafka.restart();
        episode(producer, "e6", "p7");
        producer.flush();
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).until(() -> exampleIds(bootstrap).contains("e6"));
        assertThat(again.isAlive()).as("the process did not give up").isTrue();
        assertThat(exampleIds(bootstrap)).as("one example each, the restart repeated none").doesNotHaveDuplicates();
      } finally {
        again.destroy();
        again.waitFor();
      }
    }
  }

  /** {@code attune mine} in a JVM of its own, on this test's class path, its output under target/ (kept for a failure's post-mortem). */
  private Process startMiner(String bootstrap, String run) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), AttuneCli.class.getName(),
        "mine", "--bootstrap-servers", bootstrap, "--work-dir", work.resolve("mine").toString(), "--state-store", "ROCKSDB");
    File log = logOf(run).toFile();
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
  }

  private static Path logOf(String run) {
    return Path.of("target", "MinerRestartIT-miner-" + run + ".log").toAbsolutePath();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static void passage(KafkaProducer<String, byte[]> producer, String id) {
    PassageEvent p = PassageEvent.newBuilder().setPassageId(id).setOp(PassageOp.UPSERT).setTitle("T")
        .setText("Passage " + id + (id.equals("p1") ? " says the answer is alpha." : " is about something else.")).setTimestampMs(T0).build();
    producer.send(new ProducerRecord<>(TOPICS.corpus().name(), id, AvroCodec.of(PassageEvent.class).encode(p)));
  }

  /** An episode over p1..p3 and {@code extra}, the LLM preferring p1. */
  private static void episode(KafkaProducer<String, byte[]> producer, String id, String extra) {
    List<EpisodeCandidate> candidates = new ArrayList<>();
    List<PassageScore> scores = new ArrayList<>();
    List<String> ids = List.of("p1", "p2", "p3", extra);
    for (int i = 0; i < ids.size(); i++) {
      candidates.add(new EpisodeCandidate(ids.get(i), i + 1, 0.9f - 0.1f * i));
      scores.add(new PassageScore(ids.get(i), ids.get(i).equals("p1") ? -0.5 : -6.0 - i));
    }
    QueryEvent query = QueryEvent.newBuilder().setEventId("q-" + id).setRequestId(id).setTimestampMs(T0).setTask("qa")
        .setQuery("what is the answer").setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").build();
    LlmFeedbackEvent llm = LlmFeedbackEvent.newBuilder().setEventId("l-" + id).setRequestId(id).setTimestampMs(T0).setLlmId("llm-a")
        .setSignalKind(SignalKind.ANSWER_LOG_LIKELIHOOD).setPassageScores(scores).setAnswer("alpha").build();
    FeedbackEpisode episode = FeedbackEpisode.newBuilder().setRequestId(id).setClosedAtMs(T0).setEventIds(List.of())
        .setQuery(query).setCandidates(candidates).setLlmFeedback(List.of(llm)).build();
    producer.send(new ProducerRecord<>(TOPICS.episodes().name(), id, AvroCodec.of(FeedbackEpisode.class).encode(episode)));
  }

  /** Request id → how each of its episodes ended ("example" or a dead-letter reason), the DUPLICATE re-send aside. */
  private static Map<String, List<String>> outcomes(String bootstrap) {
    Map<String, List<String>> ends = new java.util.TreeMap<>();
    exampleIds(bootstrap).forEach(id -> ends.computeIfAbsent(id, k -> new ArrayList<>()).add("example"));
    for (DeadLetter d : deadLetters(bootstrap)) {
      if (d.getReason().equals(DeadLetterReason.DUPLICATE)) continue;
      ends.computeIfAbsent(new String(d.getKey().array(), StandardCharsets.UTF_8), k -> new ArrayList<>()).add(d.getReason());
    }
    return ends;
  }

  private static List<String> exampleIds(String bootstrap) {
    AvroCodec<TrainingExample> codec = AvroCodec.of(TrainingExample.class);
    List<String> ids = new ArrayList<>();
    KafkaAccess.readAll(KafkaSettings.of(bootstrap), TOPICS.trainingExamples().name(), v -> ids.add(codec.decode(v).getExampleId()));
    return ids;
  }

  private static List<DeadLetter> deadLetters(String bootstrap) {
    AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
    List<DeadLetter> letters = new ArrayList<>();
    KafkaAccess.readAll(KafkaSettings.of(bootstrap), TOPICS.deadLetters().name(), v -> letters.add(codec.decode(v)));
    return letters;
  }
}

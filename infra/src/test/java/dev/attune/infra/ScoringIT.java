package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.attune.infra.llm.CompletionsServer;
import dev.attune.infra.llm.EndpointFaults;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.schemas.AnswerEvent;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.streams.Restarts;
import dev.attune.streams.scoring.CompletionsClient;
import dev.attune.streams.scoring.ScoringBudget;
import dev.attune.streams.scoring.ScoringConfig;
import dev.attune.streams.scoring.ScoringJob;
import dev.attune.streams.scoring.ScoringJobConfig;
import dev.attune.testkit.EmbeddedKafka;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring stage on the real broker and a Flink MiniCluster against {@code attune llm-serve}'s
 * server: answers in, LLM feedback out with the likelihoods the offline LLM gives; an endpoint that
 * fails, stalls past the timeout and answers garbage for a while (the server's fault injection, the
 * one fake) loses no answer; one that fails on every attempt dead-letters the answer with the
 * reason; bad answers are dead-lettered; a burst is held to the budget, every answer accounted for.
 */
class ScoringIT {
  private static final long T0 = System.currentTimeMillis();
  private static final List<String> CORPUS = List.of(
      "Denver Broncos won Super Bowl 50 in Santa Clara.",
      "Carolina Panthers lost the game to the Broncos.",
      "Levi's Stadium is in Santa Clara, California.",
      "The halftime show starred Coldplay and Beyonce.",
      "Peyton Manning was the Broncos quarterback.",
      "Cam Newton was the league's most valuable player.");
  private static final String SCORE = "it-score.";
  private static final String BUDGET = "it-budget.";
  @TempDir static Path work;
  private static EmbeddedKafka kafka;
  private static KafkaProducer<byte[], byte[]> producer;
  private static final UnigramLmScorer MODEL = new UnigramLmScorer(CORPUS, UnigramLmScorer.DEFAULT_MU);
  private static final EndpointFaults FAULTS = new EndpointFaults();
  private static CompletionsServer server;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start(work.resolve("kafka"));
    // Both tests' topics before the first record: an idempotent producer's first batch to a
    // partition still electing its leader can wedge on its sequence number.
    for (String prefix : List.of(SCORE, BUDGET)) EmbeddedKafka.createTopics(kafka.bootstrapServers(), Topics.withPrefix(prefix).all(), 1, (short) 1);
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "enable.idempotence", true),
        new ByteArraySerializer(), new ByteArraySerializer());
    server = new CompletionsServer(MODEL, "127.0.0.1", 0, FAULTS);
  }

  @AfterAll
  static void stop() {
    server.close();
    producer.close();
    kafka.close();
  }

  @Test
  void answers_become_feedback_through_endpoint_faults_and_a_dead_endpoint_dead_letters_with_the_reason() throws Exception {
    Topics topics = topics(SCORE);
    // Timeout 1 s, a stall 3 s; 8 attempts, 50 ms first back-off: ride out 3 errors, 2 stalls, 3 garbage answers.
    CompletionsClient.Settings endpoint =
        new CompletionsClient.Settings(URI.create("http://127.0.0.1:" + server.port()), "stand-in", 2, 4, Duration.ofSeconds(1), 8, Duration.ofMillis(50));
    ScoringConfig scoring = ScoringConfig.of(endpoint).withLlmId("stand-in-llm").withWaits(4_000, 2_000);
    FAULTS.stallFor(3_000).inject(EndpointFaults.Fault.ERROR, 3).inject(EndpointFaults.Fault.STALL, 2).inject(EndpointFaults.Fault.GARBAGE, 3);
    int metricsPort = EmbeddedKafka.freePort();
    JobClient job = new ScoringJob(config(topics, scoring)).startLocal(work.resolve("score-checkpoints"), Restarts.defaults(), metricsPort);
    try {
      int requests = 12;
      for (int i = 0; i < requests; i++) sendRequest(topics, "r" + i, "who won super bowl 50, asked " + i, 5, 0.1f, true);
      send(topics.answers(), "r0", answer("r0", "dup", "Denver Broncos")); // the same answer event twice
      send(topics.answers(), "r-blank", answer("r-blank", "a-blank", " "));
      send(topics.answers(), "r-orphan", answer("r-orphan", "a-orphan", "Denver Broncos"));
      producer.send(new ProducerRecord<>(topics.answers().name(), bytes("r-junk"), bytes("not avro")));
      producer.flush();

      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(read(topics.llmFeedback())).hasSize(requests);
        assertThat(deadLetters(topics)).containsKeys("r-orphan", "r-blank", "r-junk");
      });
      assertThat(FAULTS.pending()).as("every injected fault was met").isZero();
      // The first question asked again with the same answer: every pair comes from the cache.
      long prompts = server.prompts();
      sendRequest(topics, "r-again", "who won super bowl 50, asked 0", 5, 0.1f, true);
      producer.flush();
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(read(topics.llmFeedback())).hasSize(requests + 1));
      assertThat(server.prompts()).as("nothing sent for a cached request").isEqualTo(prompts);
      for (LlmFeedbackEvent f : read(topics.llmFeedback())) {
        assertThat(f.getLlmId()).isEqualTo("stand-in-llm");
        assertThat(f.getPassageScores()).hasSize(5);
        for (PassageScore s : f.getPassageScores()) {
          String text = CORPUS.get(Integer.parseInt(s.getPassageId().substring(1)));
          assertThat(s.getScore()).as("%s of %s", s.getPassageId(), f.getRequestId())
              .isCloseTo(MODEL.score("any question: the stand-in ignores it", text, "Denver Broncos"), within(1e-9));
        }
      }
      Map<String, String> letters = deadLetters(topics);
      assertThat(letters).containsEntry("r-orphan", DeadLetterReason.UNJOINABLE).containsEntry("r-blank", DeadLetterReason.BLANK_FIELD)
          .containsEntry("r0", DeadLetterReason.DUPLICATE).containsEntry("r-junk", DeadLetterReason.BAD_HEADER);

      // The endpoint now fails every attempt of both batches (5 passages, 4 a batch): the answer is
      // dead-lettered with what each attempt got.
      FAULTS.inject(EndpointFaults.Fault.ERROR, 2 * 8);
      sendRequest(topics, "r-down", "who lost super bowl 50", 5, 0.1f, true);
      producer.flush();
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(deadLetters(topics)).containsEntry("r-down", DeadLetterReason.LLM_ENDPOINT_FAILED));
      DeadLetter down = readLetters(topics).stream().filter(d -> key(d).equals("r-down")).findFirst().orElseThrow();
      assertThat(down.getDetail()).contains("failed 8 times").contains("HTTP 500");
      assertThat(AvroCodec.of(AnswerEvent.class).decode(down.getPayload().array()).getAnswer()).as("the answer kept for a replay").isEqualTo("Denver Broncos");

      int answersIn = requests + 1 + 1 + 1 + 1 + 1 + 1; // r*, r-again, dup, blank, orphan, junk, down
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
        Map<String, Long> counts = ScoringJob.counts(job);
        assertThat(counts).containsEntry("pairsCached", 5L).containsEntry("feedbackEmitted", (long) requests + 1)
            .containsEntry("answersFailed", 1L).containsEntry("requestsOverBudget", 0L);
        assertThat(read(topics.llmFeedback()).size() + readLetters(topics).size()).as("answers in = feedback + dead letters").isEqualTo(answersIn);
      });
      // The same counts reach Prometheus through Flink's reporter, under the names the Grafana dashboard queries.
      String scrape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(GrafanaDashboard.metricNames("flink_")).isNotEmpty().allSatisfy(name -> assertThat(scrape).as("dashboard metric").contains(name + "{"));
      // Flink's reporter writes "-" in label values as "_": the dashboard selects the jobs by those names.
      String jobLabel = "job_name=\"" + ScoringJob.JOB_NAME.replace('-', '_') + "\"";
      assertThat(GrafanaDashboard.queries()).anySatisfy(q -> assertThat(q).contains(jobLabel));
      assertThat(scrape.lines().filter(l -> l.startsWith("flink_taskmanager_job_task_operator_pairsCached{")))
          .singleElement().satisfies(l -> assertThat(l).contains(jobLabel).endsWith(" 5.0"));
    } finally {
      job.cancel().get();
    }
  }

  @Test
  void a_burst_is_held_to_the_budget_and_every_answer_is_accounted_for() throws Exception {
    Topics topics = topics(BUDGET);
    double pairsPerSecond = 10;
    CompletionsClient.Settings endpoint = CompletionsClient.Settings.of(URI.create("http://127.0.0.1:" + server.port()), "stand-in");
    ScoringConfig scoring = ScoringConfig.of(endpoint)
        .withBudget(ScoringBudget.unlimited().withMaxPairsPerSecond(pairsPerSecond).withCache(0, 0)).withWaits(30_000, 5_000);
    long promptsBefore = server.prompts();
    long started = System.nanoTime();
    JobClient job = new ScoringJob(config(topics, scoring)).startLocal(work.resolve("budget-checkpoints"), Restarts.defaults());
    try {
      int requests = 60;
      for (int i = 0; i < requests; i++) {
        // Every other request's retrieval is uncertain (its top two scores 0.001 apart).
        sendRequest(topics, "b" + i, "question " + i, 5, i % 2 == 0 ? 0.001f : 0.2f, true);
      }
      producer.flush();

      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
        Map<String, Long> counts = ScoringJob.counts(job);
        assertThat(counts.getOrDefault("feedbackEmitted", 0L) + counts.getOrDefault("requestsOverBudget", 0L))
            .as("answers = feedback + skipped over budget: %s", counts).isEqualTo(requests);
        assertThat(read(topics.llmFeedback())).hasSize(counts.get("feedbackEmitted").intValue());
      });
      double seconds = (System.nanoTime() - started) / 1e9;
      Map<String, Long> counts = ScoringJob.counts(job);
      long sent = server.prompts() - promptsBefore;
      assertThat(sent).as("pairs the LLM saw").isEqualTo(counts.get("pairsSent")).isEqualTo(5 * counts.get("feedbackEmitted"));
      assertThat((double) sent).as("at most a second's burst plus %s pairs/s over %.1f s", pairsPerSecond, seconds)
          .isLessThanOrEqualTo(pairsPerSecond + pairsPerSecond * seconds);
      assertThat(counts.get("requestsOverBudget")).as("a 300-pair burst against 10 pairs/s").isPositive();
      List<String> scored = read(topics.llmFeedback()).stream().map(LlmFeedbackEvent::getRequestId).toList();
      long uncertain = scored.stream().filter(id -> Integer.parseInt(id.substring(1)) % 2 == 0).count();
      assertThat(uncertain).as("uncertain requests preferred: %s", scored).isGreaterThanOrEqualTo(scored.size() - uncertain);
      assertThat(readLetters(topics)).isEmpty();
    } finally {
      job.cancel().get();
    }
  }

  private static Topics topics(String prefix) {
    Topics topics = Topics.withPrefix(prefix);
    for (int i = 0; i < CORPUS.size(); i++) {
      send(topics.corpus(), "p" + i, PassageEvent.newBuilder().setPassageId("p" + i).setOp(PassageOp.UPSERT).setTitle("Super Bowl 50")
          .setText(CORPUS.get(i)).setTimestampMs(T0).build());
    }
    return topics;
  }

  private static ScoringJobConfig config(Topics topics, ScoringConfig scoring) {
    return new ScoringJobConfig(KafkaSettings.of(kafka.bootstrapServers()), topics, topics.answers().name() + "-scorer", Duration.ofSeconds(1), 1, scoring);
  }

  /** A request's query and retrieval of {@code k} passages (the top two {@code margin} apart), and its answer. */
  private static void sendRequest(Topics topics, String id, String question, int k, float margin, boolean answered) {
    send(topics.queries(), id, QueryEvent.newBuilder().setEventId("q-" + id).setRequestId(id).setTimestampMs(T0).setTask("qa")
        .setQuery(question).setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").build());
    List<RankedPassage> ranked = new ArrayList<>();
    for (int i = 0; i < k; i++) ranked.add(new RankedPassage("p" + i, i + 1, i == 0 ? 0.9f : 0.9f - margin - 0.01f * i));
    send(topics.retrievals(), id, RetrievalEvent.newBuilder().setEventId("r-" + id).setRequestId(id).setTimestampMs(T0)
        .setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").setCandidates(ranked).build());
    if (answered) send(topics.answers(), id, answer(id, "a-" + id, "Denver Broncos"));
  }

  private static AnswerEvent answer(String requestId, String eventId, String text) {
    return AnswerEvent.newBuilder().setEventId(eventId.equals("dup") ? "a-" + requestId : eventId).setRequestId(requestId)
        .setTimestampMs(T0).setAnswer(text).setLlmId("app-llm").build();
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecord> void send(Topic<T> topic, String key, SpecificRecord value) {
    producer.send(new ProducerRecord<>(topic.name(), bytes(key), AvroCodec.of(topic.valueType()).encode((T) value)));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static <T extends SpecificRecord> List<T> read(Topic<T> topic) {
    List<T> out = new ArrayList<>();
    KafkaAccess.readAll(KafkaSettings.of(kafka.bootstrapServers()), topic.name(), v -> out.add(topic.codec().decode(v)));
    return out;
  }

  private static List<DeadLetter> readLetters(Topics topics) {
    return read(topics.deadLetters());
  }

  private static String key(DeadLetter d) {
    return d.getKey() == null ? "" : new String(d.getKey().array(), StandardCharsets.UTF_8);
  }

  private static Map<String, String> deadLetters(Topics topics) {
    Map<String, String> byKey = new HashMap<>();
    for (DeadLetter d : readLetters(topics)) byKey.put(key(d), d.getReason());
    return byKey;
  }
}

package dev.attune.serving;

import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.KafkaAccess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.Limits;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.Topics;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.task.Tasks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API hit from outside, on a real broker and the real bge-small encoder: every malformed or
 * mistyped body is a 4xx that names the field (no Java class), feedback that is partly bad publishes
 * nothing, and with the broker stopped and started again under traffic every request either
 * succeeded with its events committed or failed fast with 503, while readiness followed the broker.
 */
class ServingReliabilityIT {
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(2);
  private static final Topics TOPICS = Topics.withPrefix("rel.");
  @TempDir static Path work;
  private static EmbeddedKafka kafka;
  private static ServingNode node;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start(work.resolve("kafka"));
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), TOPICS.all(), 1, (short) 1);
    Corpus corpus = SamplePassages.corpus();
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publishCorpus(TOPICS.corpus(), corpus.passages());
      // A blank passage: the miner dead-letters it, so serving must not index it either.
      publisher.publish(TOPICS.corpus(), "blank", PassageEvent.newBuilder().setPassageId("blank").setOp(PassageOp.UPSERT)
          .setTitle("T").setText("  ").setTimestampMs(System.currentTimeMillis()).build());
      publisher.flush();
    }
    node = ServingNode.start(new ServingNode.Config(kafka.settings(), TOPICS, work.resolve("serving"), new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), null, "127.0.0.1", 0,
        new RetrievalApi.Config(null, false, Limits.defaults(), PUBLISH_TIMEOUT), Tasks.defaults().instructions(), 64, 256),
        new IndexManager.Listener() {});
    assertThat(node.indexes().corpusSize()).as("the blank passage is not indexed").isEqualTo(corpus.passages().size());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
    if (kafka != null) kafka.close();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(node.uri().resolve(path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(node.uri().resolve(path)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answer_every_bad_body_with_a_4xx_that_names_the_problem_without_java_classes() throws Exception {
    String deep = "{\"query\":\"x\",\"filters\":{\"titles\":" + "[".repeat(40) + "]".repeat(40) + "}}";
    Map<String, String> retrieve = new java.util.LinkedHashMap<>();
    retrieve.put("{\"query\": ", "not valid JSON");
    retrieve.put("", "empty");
    retrieve.put("[]", "JSON object");
    retrieve.put("null", "null");
    retrieve.put("{\"query\":\"x\",\"k\":true}", "'k' must be an integer");
    retrieve.put("{\"query\":\"x\",\"k\":\"5\"}", "'k' must be an integer");
    retrieve.put("{\"query\":\"x\",\"k\":1.7}", "'k' must be an integer");
    retrieve.put("{\"query\":\"x\",\"k\":NaN}", "not valid JSON");
    retrieve.put("{\"query\":123}", "'query' must be a string");
    retrieve.put("{\"query\":{\"text\":\"x\"}}", "'query' must be a string");
    retrieve.put("{\"query\":\"x\",\"limit\":3}", "unknown field 'limit'");
    retrieve.put("{\"query\":\"x\"} {\"query\":\"y\"}", "");
    retrieve.put(deep, "");
    for (Map.Entry<String, String> c : retrieve.entrySet()) {
      HttpResponse<String> r = post("/v1/retrieve", c.getKey());
      assertThat(r.statusCode()).as("status of %s", c.getKey()).isEqualTo(400);
      assertThat(r.body()).as("error of %s", c.getKey()).contains(c.getValue())
          .doesNotContain("com.fasterxml", "java.lang", "Exception", "dev.attune");
    }
    assertThat(post("/v1/retrieve", "{\"query\":\"" + "x".repeat(300_000) + "\"}").statusCode()).as("over maxEventBytes").isEqualTo(413);

    // Feedback whose human part is bad publishes nothing, not even its valid LLM part.
    HttpResponse<String> partly = post("/v1/feedback",
        "{\"requestId\":\"r-partly\",\"llm\":{\"llmId\":\"m\",\"scores\":{\"p1\":-1.0}},\"human\":{\"answers\":[null]}}");
    assertThat(partly.statusCode()).isEqualTo(400);
    assertThat(partly.body()).contains("answer is null");
    HttpResponse<String> good = post("/v1/feedback",
        "{\"requestId\":\"r-good\",\"llm\":{\"llmId\":\"m\",\"scores\":{\"p1\":-1.0},\"abstained\":true}}");
    assertThat(good.statusCode()).isEqualTo(202);
    Map<String, Boolean> abstainedByRequest = new java.util.HashMap<>();
    AvroCodec<LlmFeedbackEvent> codec = AvroCodec.of(LlmFeedbackEvent.class);
    KafkaAccess.readAll(kafka.settings(), TOPICS.llmFeedback().name(), v -> {
      LlmFeedbackEvent e = codec.decode(v);
      abstainedByRequest.put(e.getRequestId(), e.getAbstained());
    });
    assertThat(abstainedByRequest).containsEntry("r-good", true).doesNotContainKey("r-partly");
  }

  @Test
  void wait_for_topics_that_do_not_exist_yet_then_start_on_them() throws Exception {
    Topics late = Topics.withPrefix("late.");
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    java.util.concurrent.atomic.AtomicReference<Object> started = new java.util.concurrent.atomic.AtomicReference<>();
    Thread starting = new Thread(() -> {
      try {
        started.set(ServingNode.start(new ServingNode.Config(kafka.settings(), late, work.resolve("late-serving"),
            new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), null, "127.0.0.1", port, RetrievalApi.Config.open(),
            Tasks.defaults().instructions(), 64, 256), new IndexManager.Listener() {}));
      } catch (RuntimeException e) {
        started.set(e);
      }
    }, "late-serving");
    starting.start();
    // Given no topics: serving neither starts blind nor fails, it waits, and its probes say so from the start
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> started.get() == null && starting.isAlive());
    URI lateUri = URI.create("http://127.0.0.1:" + port);
    HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(lateUri.resolve("/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(503);
    assertThat(health.body()).contains("STARTING");
    assertThat(HTTP.send(HttpRequest.newBuilder(lateUri.resolve("/ready")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(503);
    assertThat(HTTP.send(HttpRequest.newBuilder(lateUri.resolve("/v1/retrieve")).POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"x\"}"))
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).as("no version live yet").isEqualTo(503);

    // When the topics appear, the corpus first (serving waits for model-versions first, then reads the corpus to its end)
    List<dev.attune.schemas.Topic<?>> allButModels = new ArrayList<>(late.all());
    allButModels.remove(late.modelVersions());
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), allButModels, 1, (short) 1);
    Corpus corpus = SamplePassages.corpus();
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publishCorpus(late.corpus(), corpus.passages().subList(0, 5));
    }
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), late.all(), 1, (short) 1);

    // Then it starts on them
    await().atMost(Duration.ofMinutes(2)).until(() -> started.get() != null);
    assertThat(started.get()).isInstanceOf(ServingNode.class);
    try (ServingNode lateNode = (ServingNode) started.get()) {
      assertThat(lateNode.indexes().corpusSize()).isEqualTo(5);
      assertThat(HTTP.send(HttpRequest.newBuilder(lateUri.resolve("/health")).GET().build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(200);
    }
  }

  /** One request's outcome under the outage. */
  private record Outcome(int status, long millis, String requestId) {}

  @Test
  void fail_fast_with_503_and_lose_no_acknowledged_event_while_the_broker_is_down() throws Exception {
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);
    Pattern id = Pattern.compile("\"requestId\":\"([^\"]+)\"");
    Thread traffic = new Thread(() -> {
      while (running.get()) {
        long started = System.nanoTime();
        try {
          HttpResponse<String> r = post("/v1/retrieve", "{\"query\":\"Which team won Super Bowl 50?\",\"k\":3}");
          Matcher m = id.matcher(r.body());
          outcomes.add(new Outcome(r.statusCode(), (System.nanoTime() - started) / 1_000_000, m.find() ? m.group(1) : null));
        } catch (Exception e) {
          outcomes.add(new Outcome(-1, (System.nanoTime() - started) / 1_000_000, e.toString()));
        }
      }
    }, "traffic");
    traffic.start();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> outcomes.stream().filter(o -> o.status() == 200).count() >= 5);
      assertThat(get("/ready").statusCode()).isEqualTo(200);

      kafka.stop();
      await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().filter(o -> o.status() == 503).count() >= 5);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/ready").statusCode()).isEqualTo(503));
      HttpResponse<String> health = get("/health");
      assertThat(health.statusCode()).as("alive, and says what is degraded").isEqualTo(200);
      assertThat(health.body()).contains("\"reachable\":false").contains("DEGRADED");

      kafka.restart();
      int before = outcomes.size();
      await().atMost(Duration.ofSeconds(90)).until(() -> new ArrayList<>(outcomes).subList(before, outcomes.size()).stream()
          .filter(o -> o.status() == 200).count() >= 5);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/ready").statusCode()).isEqualTo(200));
    } finally {
      running.set(false);
      traffic.join(60_000);
    }

    List<Outcome> all = new ArrayList<>(outcomes);
    assertThat(all).extracting(Outcome::status).as("succeeded or failed with 503, nothing else").containsOnly(200, 503);
    // Metadata and delivery each wait half the timeout; a second of slack for the search and HTTP.
    assertThat(all).extracting(Outcome::millis).as("none hung").allSatisfy(ms -> assertThat(ms).isLessThan(PUBLISH_TIMEOUT.toMillis() + 1_000));
    Set<String> committed = new HashSet<>();
    AvroCodec<QueryEvent> codec = AvroCodec.of(QueryEvent.class);
    KafkaAccess.readAll(kafka.settings(), TOPICS.queries().name(), v -> committed.add(codec.decode(v).getRequestId()));
    assertThat(all).filteredOn(o -> o.status() == 200).extracting(Outcome::requestId).as("every 200 has its query event")
        .allSatisfy(requestId -> assertThat(committed).contains(requestId));
  }
}

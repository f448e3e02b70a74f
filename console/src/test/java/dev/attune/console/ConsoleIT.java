package dev.attune.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.models.registry.ModelLog;
import dev.attune.schemas.DeadLetters;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.LlmPreferenceStats;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PreferenceStats;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.testkit.EmbeddedKafka;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console against a real broker holding a small history (two retriever decisions, a
 * preference window, dead letters of two stages) and a serving API that is not there: every view
 * shows what is on the topics, the metrics count dead letters by reason, and the actions are refused
 * without the token, confirmed before anything is published, and refused when the served version
 * moved since the confirmation was shown.
 */
class ConsoleIT {
  private static final String TOKEN = "s3cret-admin";
  private static final Topics TOPICS = Topics.defaults();
  @TempDir static Path work;
  private static EmbeddedKafka kafka;
  private static AttuneConsole console;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    // Building a ModelVersion reads its default (an OffsetRange list): a class Avro must be told to trust, as the codecs do.
    dev.attune.schemas.AvroCodec.trust(ModelVersion.getClassSchema());
    kafka = EmbeddedKafka.start(work.resolve("kafka"));
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), TOPICS.all(), 1, (short) 1);
    long now = System.currentTimeMillis();
    publish(TOPICS.modelVersions(), decision(1, ModelStatus.PROMOTED, 0.66, 0.64, now - 60_000));
    publish(TOPICS.modelVersions(), decision(2, ModelStatus.REJECTED, 0.61, 0.66, now - 30_000));
    publish(TOPICS.preferenceStats(), PreferenceStats.newBuilder().setWindowStartMs(now - 20_000).setWindowEndMs(now - 10_000).setEpisodes(40)
        .setLabeledEpisodes(30).setHumanLlmOverlap(0.14).setLlmCopiesHumanShare(0.35)
        .setPerLlm(Map.of("app-llm", new LlmPreferenceStats(40L, 30L, 0.14, 0.35))).setLlmPairOverlap(Map.of()).setLlmPairEpisodes(Map.of()).build());
    for (int i = 0; i < 3; i++) {
      publish(TOPICS.deadLetters(), DeadLetters.of("assembler", TOPICS.queries().name(), 0, i, "UNDECODABLE", "not Avro <script>", null, null, now));
    }
    publish(TOPICS.deadLetters(), DeadLetters.of("scoring", TOPICS.answers().name(), 0, 9, "LLM_ENDPOINT_FAILED", "503 three times", null, null, now));
    // A consumer group that has committed 1 of the dead-letter topic's 4 records: 3 behind.
    var props = kafka.settings().consumer("test");
    props.put("group.id", "it-reader");
    try (var reader = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      reader.commitSync(Map.of(new TopicPartition(TOPICS.deadLetters().name(), 0), new OffsetAndMetadata(1)));
    }
    console = AttuneConsole.start(ConsoleConfig.of(kafka.settings(), TOPICS, URI.create("http://127.0.0.1:9"), TOKEN)
        .withSampleEvery(Duration.ofMillis(500)), "127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    if (console != null) console.close();
    if (kafka != null) kafka.close();
  }

  private static ModelVersion decision(int version, ModelStatus status, double utility, double servingUtility, long atMs) {
    return ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version).setName("retriever-v" + version)
        .setArtifactUri("file:///models/retriever-v" + version).setParentVersion(version - 1).setCreatedAtMs(atMs).setStatus(status)
        .setMetrics(Map.of("heldout.llm_utility@5", utility, "serving.heldout.llm_utility@5", servingUtility)).setTrainingExamples(128)
        .setTrainingSteps(8).setReason(status + ": held-out LLM utility@5 " + utility + " vs " + servingUtility).build();
  }

  private static <T extends SpecificRecord> void publish(Topic<T> topic, T event) {
    try (var producer = new KafkaProducer<>(kafka.settings().producer("test"), new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic.name(), "k", topic.codec().encode(event))).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(console.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
    String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return http.send(HttpRequest.newBuilder(console.uri().resolve(path)).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int served() {
    ModelLog log = new ModelLog(ModelKind.RETRIEVER);
    KafkaAccess.readAll(kafka.settings(), TOPICS.modelVersions().name(), b -> log.apply(TOPICS.modelVersions().codec().decode(b)));
    return log.servingVersion();
  }

  @Test
  void each_view_shows_what_the_topics_hold() throws Exception {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      String flow = get("/flow").body();
      assertThat(flow).contains("4 dead letters", "UNDECODABLE", "LLM_ENDPOINT_FAILED", "503 three times", "id='flow-rates'");
      assertThat(flow).as("what a dead letter says is escaped").contains("not Avro &lt;script&gt;").doesNotContain("<script>");
    });
    assertThat(get("/signal").body()).contains("id='signal-overlap'", "app-llm", "0.140", "0.350");
    String decisions = get("/decisions").body();
    assertThat(decisions).contains("Served now: <b>retriever-v1</b>", "retriever-v2", "REJECTED", "heldout.llm_utility@5 0.6100 vs 0.6600",
        "id='decision-heldout-llm-utility-5'");
    HttpResponse<String> serving = get("/serving");
    assertThat(serving.statusCode()).isEqualTo(200);
    assertThat(serving.body()).contains("did not answer");
    assertThat(serving.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(p -> assertThat(p).contains("default-src 'none'"));
    assertThat(get("/api/decisions").body()).contains("\"retriever-v2\"", "\"REJECTED\"");
  }

  @Test
  void metrics_count_dead_letters_by_stage_and_reason() throws Exception {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/metrics").body())
        .contains("attune_dead_letters_total{reason=\"UNDECODABLE\",stage=\"assembler\"} 3.0")
        .contains("attune_dead_letters_total{reason=\"LLM_ENDPOINT_FAILED\",stage=\"scoring\"} 1.0")
        .contains("attune_topic_end_offset{topic=\"attune.dead-letter\"} 4.0")
        .contains("attune_preference_human_llm_overlap 0.14")
        .contains("attune_consumer_group_lag{group=\"it-reader\"} 3.0")
        .contains(ConsoleMetrics.NAMES));
  }

  @Test
  void promote_needs_the_token_and_a_confirmation_against_what_is_served() throws Exception {
    Map<String, String> form = new LinkedHashMap<>(Map.of("kind", "RETRIEVER", "version", "2"));
    assertThat(post("/actions/promote", form).statusCode()).as("no token").isEqualTo(401);
    form.put("token", "guess");
    HttpResponse<String> wrong = post("/actions/promote", form);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).isPresent();
    form.put("token", TOKEN);
    HttpResponse<String> asked = post("/actions/promote", form);
    assertThat(asked.statusCode()).isEqualTo(200);
    assertThat(asked.body()).contains("promote: retriever-v1 → retriever-v2?", "name='confirm' value='1'");
    assertThat(served()).as("nothing published before the confirmation").isEqualTo(1);
    form.put("confirm", "0");
    assertThat(post("/actions/promote", form).statusCode()).as("confirmed against another served version").isEqualTo(409);
    assertThat(served()).isEqualTo(1);
    form.put("version", "7");
    assertThat(post("/actions/promote", form).statusCode()).as("no such version").isEqualTo(400);
    form.put("version", "2");
    form.put("confirm", "1");
    HttpResponse<String> done = post("/actions/promote", form);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).contains("published");
    assertThat(served()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/decisions").body()).contains("Served now: <b>retriever-v2</b>",
        "promoted by console"));

    form.put("confirm", "1");
    assertThat(post("/actions/rollback", Map.of("kind", "RETRIEVER", "token", TOKEN, "confirm", "1")).statusCode())
        .as("the rollback was confirmed while v1 was served; v2 is now").isEqualTo(409);
    assertThat(post("/actions/rollback", Map.of("kind", "RETRIEVER", "token", TOKEN, "confirm", "2")).statusCode()).isEqualTo(200);
    assertThat(served()).isEqualTo(1);
  }

  @Test
  void a_console_without_the_token_is_read_only() throws Exception {
    try (AttuneConsole readOnly = AttuneConsole.start(ConsoleConfig.of(kafka.settings(), TOPICS, URI.create("http://127.0.0.1:9"), null),
        "127.0.0.1", 0)) {
      HttpResponse<String> refused = http.send(HttpRequest.newBuilder(readOnly.uri().resolve("/actions/rollback"))
          .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", "Bearer " + TOKEN)
          .POST(HttpRequest.BodyPublishers.ofString("kind=RETRIEVER&confirm=1")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(http.send(HttpRequest.newBuilder(readOnly.uri().resolve("/decisions")).build(), HttpResponse.BodyHandlers.ofString()).body())
          .contains("id='read-only'", "disabled");
    }
  }
}

package dev.attune.serving.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Limits;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.serving.BrokerProbe;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.IndexManager;
import dev.attune.serving.MockPublishing;
import dev.attune.serving.SamplePassages;
import dev.attune.serving.ServingNode;
import dev.attune.testkit.EmbeddedKafka;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checked-in OpenAPI document and the server agree: every route the server answers is in it
 * and every path in it is served; every response the document lists — each route, method and status
 * code — is produced by the real server (a serving node on the real broker and bge-small, with a
 * bearer token; and one still starting, for the 503s) and its body is valid against the documented
 * schema; the requests sent are valid against the request schemas; {@code /openapi.json} serves the
 * document.
 */
class OpenApiContractIT {
  private static final String TOKEN = "contract-token";
  private static final Topics TOPICS = Topics.withPrefix("contract.");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path work;

  private HttpResponse<String> call(URI base, String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) r.header("Content-Type", "application/json");
    if (token != null) r.header("Authorization", "Bearer " + token);
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void every_documented_route_status_and_schema_is_what_the_server_does() throws Exception {
    OpenApiContract contract = new OpenApiContract(RetrievalApi.openApi());
    assertThat(contract.paths()).as("documented paths = served routes").isEqualTo(new java.util.TreeSet<>(RetrievalApi.routes()));

    // A server still starting (nothing served) with an unreachable broker: the 503s.
    BrokerProbe unreachable = new BrokerProbe(KafkaSettings.of("127.0.0.1:9"), Duration.ofSeconds(1));
    Javalin starting = RetrievalApi.create(
        MockPublishing.service(new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()), TOPICS), null,
        new ServingMetrics(() -> 0, () -> 0), dev.attune.serving.SwapHistory.recent(), unreachable, new RetrievalApi.Config(TOKEN, false, Limits.defaults(), Duration.ofSeconds(1)))
        .start("127.0.0.1", 0);
    try {
      URI base = URI.create("http://127.0.0.1:" + starting.port());
      contract.response("GET", "/health", call(base, "GET", "/health", null, null));
      contract.response("GET", "/ready", call(base, "GET", "/ready", null, null));
      String retrieve = "{\"query\":\"Which team won Super Bowl 50?\",\"k\":3}";
      contract.request("POST", "/v1/retrieve", retrieve);
      assertThat(contract.response("POST", "/v1/retrieve", call(base, "POST", "/v1/retrieve", retrieve, TOKEN)).statusCode()).isEqualTo(503);
    } finally {
      starting.stop();
      unreachable.close();
    }

    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), TOPICS.all(), 1, (short) 1);
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        publisher.publishCorpus(TOPICS.corpus(), SamplePassages.corpus().passages());
      }
      ModelRegistry models = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
      try (ServingNode node = ServingNode.start(new ServingNode.Config(kafka.settings(), TOPICS, work.resolve("serving"), models, null, "127.0.0.1", 0,
          new RetrievalApi.Config(TOKEN, false, Limits.defaults(), Duration.ofSeconds(2)), Tasks.defaults().instructions(), 64, 256),
          new IndexManager.Listener() {})) {
        URI base = node.uri();
        HttpResponse<String> document = contract.response("GET", "/openapi.json", call(base, "GET", "/openapi.json", null, null));
        assertThat(document.body().getBytes(StandardCharsets.UTF_8)).isEqualTo(RetrievalApi.openApi());
        contract.response("GET", "/health", call(base, "GET", "/health", null, null));
        contract.response("GET", "/ready", call(base, "GET", "/ready", null, null));
        contract.response("GET", "/v1/version", call(base, "GET", "/v1/version", null, TOKEN));
        contract.response("GET", "/v1/version", call(base, "GET", "/v1/version", null, null));

        String retrieve = "{\"query\":\"Which team won Super Bowl 50?\",\"task\":\"qa\",\"k\":3,\"filters\":{\"titles\":[],\"ids\":[]},\"llmId\":\"app-llm\"}";
        contract.request("POST", "/v1/retrieve", retrieve);
        HttpResponse<String> retrieved = contract.response("POST", "/v1/retrieve", call(base, "POST", "/v1/retrieve", retrieve, TOKEN));
        assertThat(retrieved.statusCode()).isEqualTo(200);
        String requestId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(retrieved.body()).get("requestId").asText();
        contract.response("POST", "/v1/retrieve", call(base, "POST", "/v1/retrieve", "{\"query\":\" \"}", TOKEN));
        contract.response("POST", "/v1/retrieve", call(base, "POST", "/v1/retrieve", retrieve, "wrong"));
        contract.response("POST", "/v1/retrieve", call(base, "POST", "/v1/retrieve", "{\"query\":\"" + "x".repeat(300_000) + "\"}", TOKEN));

        String feedback = "{\"requestId\":\"" + requestId + "\",\"answer\":{\"text\":\"Denver Broncos\",\"llmId\":\"app-llm\"},"
            + "\"llm\":{\"llmId\":\"app-llm\",\"signalKind\":\"ANSWER_LOG_LIKELIHOOD\",\"scores\":{\"p1\":-0.5},\"answer\":\"Denver Broncos\"},"
            + "\"human\":{\"relevantPassageIds\":[\"p1\"],\"answers\":[\"Denver Broncos\"]}}";
        contract.request("POST", "/v1/feedback", feedback);
        assertThat(contract.response("POST", "/v1/feedback", call(base, "POST", "/v1/feedback", feedback, TOKEN)).body())
            .contains("llmEventId", "humanEventId", "answerEventId");
        contract.response("POST", "/v1/feedback", call(base, "POST", "/v1/feedback", "{\"requestId\":\"r1\"}", TOKEN));
        contract.response("POST", "/v1/feedback", call(base, "POST", "/v1/feedback", feedback, null));
        contract.response("POST", "/v1/feedback", call(base, "POST", "/v1/feedback",
            "{\"requestId\":\"r1\",\"answer\":{\"text\":\"" + "x".repeat(300_000) + "\"}}", TOKEN));
        contract.response("GET", "/metrics", call(base, "GET", "/metrics", null, null));

        contract.response("POST", "/v1/admin/rollback", call(base, "POST", "/v1/admin/rollback", null, TOKEN));
        contract.response("POST", "/v1/admin/rollback", call(base, "POST", "/v1/admin/rollback", null, null));
        // A second version (query-side, on the base's index: nothing to embed) makes a rollback possible.
        promoteQuerySide(kafka, models, 1);
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(node.indexes().current().modelVersion()).isEqualTo("retriever-v1"));
        assertThat(contract.response("POST", "/v1/admin/rollback", call(base, "POST", "/v1/admin/rollback", null, TOKEN)).body())
            .contains("\"to\":\"retriever-v0\"");
        assertThat(contract.response("GET", "/v1/swaps", call(base, "GET", "/v1/swaps", null, TOKEN)).body())
            .as("newest first: the rollback, the query-encoder swap, the first version").containsSubsequence("ROLLBACK", "QUERY_ENCODER", "INITIAL");
        contract.response("GET", "/v1/swaps", call(base, "GET", "/v1/swaps", null, null));

        // The broker gone: a request's events cannot be acknowledged, so nothing is recorded: 503.
        kafka.stop();
        contract.response("POST", "/v1/feedback", call(base, "POST", "/v1/feedback", feedback, TOKEN));
      }
    }
    assertThat(contract.unexercised()).as("documented responses the server was never seen to give").isEmpty();
  }

  private static void promoteQuerySide(EmbeddedKafka kafka, ModelRegistry models, int version) {
    Path dir = models.cloneBase(version);
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publish(TOPICS.modelVersions(), "RETRIEVER", ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version)
          .setName(ModelRegistry.name(version)).setArtifactUri(models.publish(ModelRegistry.name(version), dir))
          .setCreatedAtMs(System.currentTimeMillis()).setIndexVersion(0).setStatus(ModelStatus.PROMOTED).build());
    }
  }
}

package dev.attune.serving.api;

import dev.attune.schemas.KafkaSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.Limits;
import dev.attune.schemas.Topics;
import dev.attune.serving.BrokerProbe;
import dev.attune.serving.MockPublishing;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The HTTP layer's own checks, on a real server with no index and no broker (events go to Kafka's
 * MockProducer): every bad request is a 4xx naming what is wrong, before anything is searched or
 * published; the bearer token guards /v1; health says STARTING with 503 until a version is live.
 */
class RetrievalApiTest {
  private static final MockProducer<String, byte[]> PRODUCER = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static BrokerProbe broker;
  private static Javalin app;
  private static String base;

  @BeforeAll
  static void start() {
    // Nothing listens on port 9 (discard): the probe reports the broker unreachable.
    broker = new BrokerProbe(KafkaSettings.of("127.0.0.1:9"), Duration.ofSeconds(1));
    Limits limits = new Limits(Limits.defaults().maxEventBytes(), Limits.defaults().maxRecordBytes(), 50, Limits.defaults().maxPassageChars(),
        Limits.defaults().maxListSize());
    app = RetrievalApi.create(MockPublishing.service(PRODUCER, Topics.defaults()), null, new ServingMetrics(() -> 0, () -> 0), dev.attune.serving.SwapHistory.recent(), broker,
        new RetrievalApi.Config("secret", false, limits, Duration.ofSeconds(1))).start("127.0.0.1", 0);
    base = "http://127.0.0.1:" + app.port();
  }

  @AfterAll
  static void stop() {
    app.stop();
    broker.close();
  }

  @BeforeEach
  void clear() {
    PRODUCER.clear();
  }

  private static HttpResponse<String> post(String path, String body, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) r.header("Authorization", "Bearer " + token);
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "empty query            | {\"query\":\" \"}                                   | query is empty",
      "query over the limit   | {\"query\":\"" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} | query has 54 characters, at most 50",
      "k of 0                 | {\"query\":\"q\",\"k\":0}                          | k (0) must be in 1..100",
      "k over the cap         | {\"query\":\"q\",\"k\":101}                        | k (101) must be in 1..100",
      "unknown task           | {\"query\":\"q\",\"task\":\"tool\"}                | unknown task 'tool'",
      "unknown field          | {\"query\":\"q\",\"top\":5}                        | top",
      "k as a string          | {\"query\":\"q\",\"k\":\"5\"}                      | k"})
  void a_bad_retrieve_request_is_a_400_naming_the_problem(String name, String body, String expected) throws Exception {
    HttpResponse<String> r = post("/v1/retrieve", body, "secret");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains(expected).doesNotContain("dev.attune", "Exception");
    assertThat(PRODUCER.history()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "no request id          | {\"human\":{\"relevantPassageIds\":[\"p1\"]}}                        | requestId is empty",
      "neither part           | {\"requestId\":\"r1\"}                                              | give llm or human feedback, or an answer",
      "unknown signal kind    | {\"requestId\":\"r1\",\"llm\":{\"signalKind\":\"VIBES\",\"scores\":{\"p1\":1}}} | unknown signalKind 'VIBES'",
      "a null score           | {\"requestId\":\"r1\",\"llm\":{\"scores\":{\"p1\":null}},\"human\":{\"relevantPassageIds\":[\"p1\"]}} | llm feedback: ",
      "a blank relevant id    | {\"requestId\":\"r1\",\"human\":{\"relevantPassageIds\":[\" \"]}}   | human feedback: "})
  void bad_feedback_is_a_400_and_publishes_nothing(String name, String body, String expected) throws Exception {
    HttpResponse<String> r = post("/v1/feedback", body, "secret");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains(expected);
    assertThat(PRODUCER.history()).isEmpty();
  }

  @Test
  void good_feedback_is_accepted_once_published() throws Exception {
    HttpResponse<String> r = post("/v1/feedback", "{\"requestId\":\"r1\",\"human\":{\"relevantPassageIds\":[\"p1\"],\"answers\":[\"a\"]}}", "secret");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(r.body()).contains("humanEventId").doesNotContain("llmEventId");
    assertThat(PRODUCER.history()).hasSize(1);
  }

  @Test
  void v1_needs_the_bearer_token() throws Exception {
    assertThat(post("/v1/feedback", "{}", null).statusCode()).isEqualTo(401);
    assertThat(post("/v1/feedback", "{}", "wrong").statusCode()).isEqualTo(401);
  }

  @Test
  void health_is_503_starting_until_a_version_is_live() throws Exception {
    HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(health.statusCode()).isEqualTo(503);
    assertThat(health.body()).contains("\"status\":\"STARTING\"");
    assertThat(ready.statusCode()).isEqualTo(503);
  }
}

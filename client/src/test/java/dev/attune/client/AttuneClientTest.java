package dev.attune.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's side of the wire, against the JDK's HTTP server standing in for serving: what it
 * sends (path, token, JSON), how it reads answers, and the faults the real server does not produce
 * but a deployment does (a proxy's HTML error page, a newer server's extra fields, nothing
 * listening). The real server, through this client, is tested in infra's {@code ServingIT}.
 */
class AttuneClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private volatile int status = 200;
  private volatile String contentType = "application/json";
  private volatile String answer = "{}";

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
          + exchange.getRequestHeaders().getFirst("Authorization") + " " + body);
      byte[] out = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", contentType);
      exchange.sendResponseHeaders(status, out.length);
      exchange.getResponseBody().write(out);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private AttuneClient client(String token) {
    return new AttuneClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), token, Duration.ofSeconds(5));
  }

  @Test
  void retrieve_posts_the_request_with_the_token_and_reads_a_newer_servers_answer() throws Exception {
    answer = "{\"requestId\":\"r1\",\"modelVersion\":\"retriever-v2\",\"indexVersion\":\"retriever-v1\",\"servedBy\":\"node-7\","
        + "\"passages\":[{\"rank\":1,\"id\":\"p1\",\"title\":\"T\",\"text\":\"x\",\"score\":0.5}]}";

    AttuneClient.Retrieval r = client("s3cret").retrieve(AttuneClient.RetrieveRequest.of("who won?", 3));

    assertThat(r.requestId()).isEqualTo("r1");
    assertThat(r.indexVersion()).isEqualTo("retriever-v1");
    assertThat(r.passages()).extracting(AttuneClient.Passage::id).containsExactly("p1");
    assertThat(r.sequence()).isNull();
    String[] sent = requests.get(0).split(" ", 5);
    assertThat(sent[0] + " " + sent[1] + " " + sent[2] + " " + sent[3]).isEqualTo("POST /v1/retrieve Bearer s3cret");
    JsonNode body = JSON.readTree(sent[4]);
    assertThat(body.get("query").asText()).isEqualTo("who won?");
    assertThat(body.get("k").asInt()).isEqualTo(3);
  }

  @Test
  void swaps_reads_the_nodes_swap_history_with_the_token() {
    answer = "{\"swaps\":[{\"kind\":\"QUERY_ENCODER\",\"to\":\"retriever-v1\",\"seconds\":1.5}],\"failures\":[]}";

    JsonNode swaps = client("s3cret").swaps();

    assertThat(swaps.get("swaps").get(0).get("kind").asText()).isEqualTo("QUERY_ENCODER");
    assertThat(requests.get(0)).startsWith("GET /v1/swaps Bearer s3cret");
  }

  @Test
  void feedback_sends_both_parts_and_returns_the_event_ids() throws Exception {
    status = 202;
    answer = "{\"llmEventId\":\"e1\",\"humanEventId\":\"e2\"}";

    Map<String, String> ids = client(null).feedback("r1",
        new AttuneClient.LlmFeedback("llm-a", "ANSWER_LOG_LIKELIHOOD", Map.of("p1", -0.5), "Denver", null),
        new AttuneClient.HumanFeedback(List.of("p1"), List.of("Denver")));

    assertThat(ids).containsEntry("llmEventId", "e1").containsEntry("humanEventId", "e2");
    assertThat(requests.get(0)).startsWith("POST /v1/feedback null ");
    JsonNode body = JSON.readTree(requests.get(0).split(" ", 4)[3]);
    assertThat(body.get("requestId").asText()).isEqualTo("r1");
    assertThat(body.at("/llm/scores/p1").asDouble()).isEqualTo(-0.5);
    assertThat(body.at("/human/relevantPassageIds/0").asText()).isEqualTo("p1");
  }

  @Test
  void an_answer_is_sent_alone_for_the_scoring_stage_and_its_event_id_returned() throws Exception {
    status = 202;
    answer = "{\"answerEventId\":\"a1\"}";

    String id = client(null).answer("r1", new AttuneClient.Answer("Denver Broncos", "my-llm"));

    assertThat(id).isEqualTo("a1");
    JsonNode body = JSON.readTree(requests.get(0).split(" ", 4)[3]);
    assertThat(body.at("/answer/text").asText()).isEqualTo("Denver Broncos");
    assertThat(body.at("/answer/llmId").asText()).isEqualTo("my-llm");
    assertThat(body.has("llm")).as("parts not given are left out, not sent as null").isFalse();
    assertThat(body.has("human")).isFalse();
  }

  @Test
  void an_error_carries_the_status_and_the_servers_reason() {
    status = 400;
    answer = "{\"error\":\"k (0) must be in 1..100\"}";

    assertThatThrownBy(() -> client(null).retrieve(AttuneClient.RetrieveRequest.of("q", 0)))
        .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessage("POST /v1/retrieve: k (0) must be in 1..100");
  }

  @Test
  void a_proxys_html_error_page_is_reported_as_it_came() {
    status = 502;
    contentType = "text/html";
    answer = "<html><body>Bad Gateway</body></html>";

    assertThatThrownBy(() -> client(null).version())
        .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(502))
        .hasMessageContaining("GET /v1/version: <html><body>Bad Gateway");
  }

  @Test
  void nothing_listening_is_an_io_failure_naming_the_address() {
    int port = server.getAddress().getPort();
    server.stop(0);

    assertThatThrownBy(() -> client(null).rollback()).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("POST http://127.0.0.1:" + port + "/v1/admin/rollback failed");
  }
}

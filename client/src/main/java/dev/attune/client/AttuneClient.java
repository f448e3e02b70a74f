package dev.attune.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Client of the Attune serving API for RAG applications: retrieve passages, then report what the
 * LLM made of them (and any human labels) for the same request id. The server turns both into the
 * Avro events the feedback loop consumes; applications never write Avro themselves.
 *
 * <p>Thread-safe. Failed calls throw {@link AttuneClientException} with the HTTP status and the
 * server's error message.
 */
public final class AttuneClient {
  /** Optional restriction of a retrieval to some titles and/or passage ids. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Filters(List<String> titles, List<String> ids) {}

  /**
   * One retrieval request; {@code task}, {@code filters}, {@code llmId} and {@code bridge} may be null
   * ({@code bridge} null: the server's default).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RetrieveRequest(String query, String task, Integer k, Filters filters, String llmId, Boolean bridge) {
    public RetrieveRequest(String query, String task, Integer k, Filters filters, String llmId) {
      this(query, task, k, filters, llmId, null);
    }

    public static RetrieveRequest of(String query, int k) {
      return new RetrieveRequest(query, null, k, null, null, null);
    }

    /** The same request through the bridge. */
    public RetrieveRequest bridged() {
      return new RetrieveRequest(query, task, k, filters, llmId, true);
    }
  }

  /** One retrieved passage. */
  public record Passage(int rank, String id, String title, String text, float score) {}

  /**
   * The passages and the one model and index version that produced them; through the bridge, also
   * its version and the passage sequence it chose (each passage's rank is its retrieval rank).
   */
  public record Retrieval(String requestId, String modelVersion, String indexVersion, List<Passage> passages, String bridgeVersion,
      List<Passage> sequence) {}

  /**
   * The LLM's view of the passages: a score per passage id of kind {@code signalKind}
   * (ANSWER_LOG_LIKELIHOOD, CROSS_ATTENTION or DOWNSTREAM_REWARD), and optionally its answer;
   * {@code abstained} true when the LLM declared it could not answer (its scores then make no
   * positive), which is not the same as leaving the answer out.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record LlmFeedback(String llmId, String signalKind, Map<String, Double> scores, String answer, Double sequenceReward,
      Boolean abstained) {
    public LlmFeedback(String llmId, String signalKind, Map<String, Double> scores, String answer, Double sequenceReward) {
      this(llmId, signalKind, scores, answer, sequenceReward, null);
    }
  }

  /** Human labels: passages judged relevant, and accepted answers. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record HumanFeedback(List<String> relevantPassageIds, List<String> answers) {}

  /**
   * The answer the application's LLM gave (or a person accepted): Attune's scoring stage computes the
   * LLM's per-passage likelihoods from it, so the application need not. {@code llmId}: which LLM
   * answered, when known.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Answer(String text, String llmId) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record FeedbackRequest(String requestId, LlmFeedback llm, HumanFeedback human, Answer answer) {}

  private final URI base;
  private final String token;
  private final HttpClient http;
  private final Duration timeout;
  private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** {@code token} is the bearer token, or null when the server runs without authentication. */
  public AttuneClient(URI base, String token, Duration timeout) {
    this.base = base;
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  public Retrieval retrieve(RetrieveRequest request) {
    return call("POST", "/v1/retrieve", request, Retrieval.class);
  }

  /** Sends feedback for a retrieval; returns the ids of the events written. */
  public Map<String, String> feedback(String requestId, LlmFeedback llm, HumanFeedback human) {
    return feedback(requestId, llm, human, null);
  }

  /** Sends feedback and/or the answer for a retrieval (any part may be null, not all); returns the ids of the events written. */
  public Map<String, String> feedback(String requestId, LlmFeedback llm, HumanFeedback human, Answer answer) {
    @SuppressWarnings("unchecked")
    Map<String, String> ids = call("POST", "/v1/feedback", new FeedbackRequest(requestId, llm, human, answer), Map.class);
    return ids;
  }

  /** Sends the answer for a retrieval, for the scoring stage; returns the id of the event written. */
  public String answer(String requestId, Answer answer) {
    return feedback(requestId, null, null, answer).get("answerEventId");
  }

  /** The served model and index versions, the previous model, and any build in progress. */
  public JsonNode version() {
    return call("GET", "/v1/version", null, JsonNode.class);
  }

  /** This node's last swaps (newest first: kind, versions, duration, passages embedded) and failed builds. */
  public JsonNode swaps() {
    return call("GET", "/v1/swaps", null, JsonNode.class);
  }

  /** Switches serving back to the previous version. */
  public JsonNode rollback() {
    return call("POST", "/v1/admin/rollback", null, JsonNode.class);
  }

  private <T> T call(String method, String path, Object body, Class<T> type) {
    try {
      HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Accept", "application/json");
      if (token != null) req.header("Authorization", "Bearer " + token);
      if (body == null) req.method(method, HttpRequest.BodyPublishers.noBody());
      else req.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
      HttpResponse<byte[]> response = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() / 100 != 2) {
        String message = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        try {
          JsonNode error = json.readTree(response.body()).get("error");
          if (error != null) message = error.asText();
        } catch (IOException notJson) {
          // keep the raw body
        }
        throw new AttuneClientException(response.statusCode(), method + " " + path + ": " + message);
      }
      return json.readValue(response.body(), type);
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + base.resolve(path) + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + path + " interrupted", e);
    }
  }
}

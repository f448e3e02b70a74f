package dev.attune.infra.replay;

import dev.attune.trainers.eval.LlmScorer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attune.schemas.SignalKind;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Answer log-likelihood from a real LLM behind an OpenAI-compatible completions endpoint that can
 * echo the prompt with logprobs (vLLM, llama.cpp server): prompt = LLM-Embedder's template with the
 * answer appended, {@code max_tokens 0}, {@code echo true}, {@code logprobs 1}; the score is the mean
 * logprob of the tokens that start at or after the answer's offset.
 */
public final class OpenAiCompatibleScorer implements LlmScorer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final URI endpoint;
  private final String model;
  private final String apiKey;

  public OpenAiCompatibleScorer(URI baseUrl, String model, String apiKey) {
    this.endpoint = baseUrl.resolve("/v1/completions");
    this.model = model;
    this.apiKey = apiKey;
  }

  static String prompt(String question, String passage) {
    return "Knowledge: " + passage + "\n\nQuestion: " + question + "\n\nAnswer: ";
  }

  @Override
  public String llmId() {
    return model;
  }

  @Override
  public SignalKind signalKind() {
    return SignalKind.ANSWER_LOG_LIKELIHOOD;
  }

  @Override
  public double score(String question, String passage, String answer) {
    String prefix = prompt(question, passage);
    try {
      String body = JSON.writeValueAsString(Map.of(
          "model", model, "prompt", prefix + answer, "max_tokens", 0, "echo", true, "logprobs", 1, "temperature", 0));
      HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
      if (apiKey != null && !apiKey.isBlank()) request.header("Authorization", "Bearer " + apiKey);
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(endpoint + " answered " + response.statusCode() + ": " + response.body());
      }
      return answerLogLikelihood(JSON.readTree(response.body()), prefix.length());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach " + endpoint + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while scoring", e);
    }
  }

  /** Mean logprob of the echoed tokens whose text offset is at or past {@code answerOffset}. */
  static double answerLogLikelihood(JsonNode completion, int answerOffset) {
    JsonNode logprobs = completion.path("choices").path(0).path("logprobs");
    JsonNode values = logprobs.path("token_logprobs");
    JsonNode offsets = logprobs.path("text_offset");
    if (!values.isArray() || values.size() != offsets.size()) {
      throw new IllegalStateException("completion has no echoed token_logprobs/text_offset; does the server support echo?");
    }
    double sum = 0;
    int n = 0;
    for (int i = 0; i < values.size(); i++) {
      if (offsets.get(i).asInt() >= answerOffset && !values.get(i).isNull()) {
        sum += values.get(i).asDouble();
        n++;
      }
    }
    if (n == 0) throw new IllegalStateException("no answer tokens found past offset " + answerOffset);
    return sum / n;
  }
}

package dev.attune.infra.replay;

import dev.attune.trainers.eval.LlmScorer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.Progress;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives the retrieval service like a RAG application would: for each query, {@code POST
 * /v1/retrieve}, then {@code POST /v1/feedback} with the qrels as human labels and either the
 * reference answer, for Attune's scoring stage to score ({@link #answering}: what an application
 * does that leaves the LLM's likelihoods to Attune), or every returned passage's score from an
 * {@link LlmScorer} ({@link #scoring}: an application that computes them itself).
 */
public final class Replayer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;
  private final URI service;
  private final String token;
  private final LlmScorer scorer;
  private final String llmId;
  private final int k;
  private final int concurrency;

  /** Counts of one replay. */
  public record Summary(int queries, int feedbackEvents, int failures) {}

  private Replayer(HttpClient http, URI service, String token, LlmScorer scorer, String llmId, int k, int concurrency) {
    if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
    this.http = http;
    this.service = service;
    this.token = token == null || token.isBlank() ? null : token;
    this.scorer = scorer;
    this.llmId = llmId;
    this.k = k;
    this.concurrency = concurrency;
  }

  /** Posts the passages' scores from {@code scorer}. {@code token}: the API's bearer token, or null when it runs without one. */
  public static Replayer scoring(URI service, String token, LlmScorer scorer, int k) {
    return new Replayer(HttpClient.newHttpClient(), service, token, scorer, scorer.llmId(), k, 1);
  }

  /** Posts the answer (of {@code llmId}, the LLM retrieved for) for the scoring stage to score. */
  public static Replayer answering(URI service, String token, String llmId, int k) {
    return new Replayer(HttpClient.newHttpClient(), service, token, null, llmId, k, 1);
  }

  /** The same replay with {@code concurrency} questions in flight at once, as that many users would send them. */
  public Replayer withConcurrency(int concurrency) {
    return new Replayer(http, service, token, scorer, llmId, k, concurrency);
  }

  public Summary replay(List<RetrievalMetrics.Judged> queries, Progress progress) throws IOException, InterruptedException {
    AtomicInteger feedback = new AtomicInteger(), failures = new AtomicInteger();
    ExecutorService users = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> sent = new ArrayList<>(queries.size());
      for (RetrievalMetrics.Judged q : queries) {
        sent.add(users.submit(() -> {
          int events = replay(q);
          if (events < 0) failures.incrementAndGet();
          else feedback.addAndGet(events);
          progress.advance(1);
          return null;
        }));
      }
      for (Future<?> f : sent) f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      if (e.getCause() instanceof InterruptedException interrupted) throw interrupted;
      throw new IllegalStateException("replay failed: " + e.getCause(), e.getCause());
    } finally {
      users.shutdownNow();
    }
    return new Summary(queries.size(), feedback.get(), failures.get());
  }

  /** One question's retrieval and feedback; returns the feedback events posted, or -1 when a request failed. */
  private int replay(RetrievalMetrics.Judged q) throws IOException, InterruptedException {
    JsonNode response = post("/v1/retrieve", Map.of("query", q.text(), "task", "qa", "k", k, "llmId", llmId));
    if (response == null) return -1;
    String answer = q.answers().isEmpty() ? "" : q.answers().get(0);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("requestId", response.get("requestId").asText());
    body.put("human", Map.of("relevantPassageIds", List.copyOf(q.relevant()), "answers", q.answers()));
    if (scorer != null) {
      Map<String, Double> scores = new LinkedHashMap<>();
      for (JsonNode p : response.get("passages")) {
        scores.put(p.get("id").asText(), scorer.score(q.text(), p.get("text").asText(), answer));
      }
      Map<String, Object> llm = new LinkedHashMap<>();
      llm.put("llmId", scorer.llmId());
      llm.put("signalKind", scorer.signalKind().name());
      llm.put("scores", scores);
      llm.put("answer", answer);
      body.put("llm", llm);
    } else if (!answer.isBlank()) {
      body.put("answer", Map.of("text", answer, "llmId", llmId));
    }
    return post("/v1/feedback", body) == null ? -1 : body.size() - 1;
  }

  private JsonNode post(String path, Object body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(service.resolve(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (token != null) request.header("Authorization", "Bearer " + token);
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      System.err.println("replay: " + path + " answered " + response.statusCode() + ": " + response.body());
      return null;
    }
    return JSON.readTree(response.body());
  }
}

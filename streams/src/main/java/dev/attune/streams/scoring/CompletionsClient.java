package dev.attune.streams.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Answer log-likelihoods from an OpenAI-compatible completions endpoint that echoes the prompt with
 * logprobs (vLLM, llama.cpp server, {@code attune llm-serve}): the prompt is LLM-Embedder's template
 * with the answer appended, {@code max_tokens 0}, {@code echo true}, {@code logprobs 1}; a pair's
 * score is the mean logprob of the echoed tokens at or after the answer's offset.
 *
 * <p>Non-blocking: at most {@code maxConcurrency} HTTP requests in flight, the rest queued; up to
 * {@code batchSize} prompts per request (a list {@code prompt}, answered with one choice per prompt
 * by index); each request with a timeout, retried with exponential back-off and jitter on a transport
 * error, a timeout, 408/429/5xx or a body that is not a scoring answer. Another 4xx fails at once:
 * repeating a rejected request cannot help. A pair's future fails with a {@link ScoringFailure} that
 * says what every attempt got.
 */
public final class CompletionsClient {
  /** An echoed completion is mostly numbers: Jackson's fast double parser reads them at several times the JDK's speed. */
  private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  /** The environment variable the API key is read from, so it never travels in a job's configuration. */
  public static final String API_KEY_ENV = "ATTUNE_LLM_API_KEY";

  /**
   * @param baseUrl the server, e.g. {@code http://localhost:8000}; requests go to {@code /v1/completions}
   * @param model the model name the server knows
   * @param maxConcurrency HTTP requests in flight at most
   * @param batchSize prompts per request at most; 1 for servers that take a single prompt only
   * @param timeout per HTTP request, connection to last byte
   * @param maxAttempts attempts per request, the first included
   * @param initialBackoff wait before the first retry; doubled per retry up to 30 s, ± 25% jitter
   */
  public record Settings(URI baseUrl, String model, int maxConcurrency, int batchSize, Duration timeout, int maxAttempts,
      Duration initialBackoff) implements Serializable {
    public Settings {
      Objects.requireNonNull(baseUrl, "baseUrl");
      if (model == null || model.isBlank()) throw new IllegalArgumentException("model is blank");
      if (maxConcurrency < 1) throw new IllegalArgumentException("maxConcurrency (" + maxConcurrency + ") must be >= 1");
      if (batchSize < 1) throw new IllegalArgumentException("batchSize (" + batchSize + ") must be >= 1");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout (" + timeout + ") must be > 0");
      if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts (" + maxAttempts + ") must be >= 1");
      if (initialBackoff.isNegative()) throw new IllegalArgumentException("initialBackoff (" + initialBackoff + ") must be >= 0");
    }

    public static Settings of(URI baseUrl, String model) {
      return new Settings(baseUrl, model, 4, 16, Duration.ofSeconds(30), 5, Duration.ofMillis(500));
    }

    /** The longest one request can take over all its attempts and waits. */
    public Duration worstCase() {
      Duration total = timeout.multipliedBy(maxAttempts);
      Duration wait = initialBackoff;
      for (int i = 1; i < maxAttempts; i++) {
        total = total.plus(min(wait, MAX_BACKOFF).multipliedBy(5).dividedBy(4));
        wait = wait.multipliedBy(2);
      }
      return total;
    }
  }

  /** One (question, passage, answer) to score. */
  public record Prompt(String question, String passage, String answer) {}

  /** Every attempt of a request failed, or it was refused; the message says what each attempt got. */
  public static final class ScoringFailure extends RuntimeException {
    ScoringFailure(String message) {
      super(message);
    }
  }

  /** A response that is not what a scoring request must get back (worth another attempt). */
  private static final class Garbage extends RuntimeException {
    Garbage(String message) {
      super(message);
    }
  }

  private final Settings settings;
  private final URI endpoint;
  private final String apiKey;
  private final HttpClient http;
  private final AtomicInteger free;
  private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();

  /** The API key, if any, comes from {@value #API_KEY_ENV}. */
  public CompletionsClient(Settings settings) {
    this(settings, System.getenv(API_KEY_ENV));
  }

  public CompletionsClient(Settings settings, String apiKey) {
    this.settings = settings;
    this.endpoint = settings.baseUrl().resolve("/v1/completions");
    this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
    this.http = HttpClient.newBuilder().connectTimeout(min(settings.timeout(), Duration.ofSeconds(10))).build();
    this.free = new AtomicInteger(settings.maxConcurrency());
  }

  public Settings settings() {
    return settings;
  }

  /** HTTP requests sent so far, retries included. */
  public long requests() {
    return requests.get();
  }

  /** Of those, retries. */
  public long retries() {
    return retries.get();
  }

  /** The prompt before the answer. */
  public static String prefix(String question, String passage) {
    return "Knowledge: " + passage + "\n\nQuestion: " + question + "\n\nAnswer: ";
  }

  /** Scores {@code prompts} in batches; the scores in the prompts' order. */
  public CompletableFuture<List<Double>> score(List<Prompt> prompts) {
    List<CompletableFuture<List<Double>>> batches = new ArrayList<>();
    for (int from = 0; from < prompts.size(); from += settings.batchSize()) {
      List<Prompt> batch = prompts.subList(from, Math.min(prompts.size(), from + settings.batchSize()));
      CompletableFuture<List<Double>> result = new CompletableFuture<>();
      attempt(List.copyOf(batch), 1, new ArrayList<>(), result);
      batches.add(result);
    }
    return CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<Double> scores = new ArrayList<>(prompts.size());
      batches.forEach(b -> scores.addAll(b.join()));
      return scores;
    });
  }

  /** {@link #score} and wait. */
  public List<Double> scoreNow(List<Prompt> prompts) {
    try {
      return score(prompts).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  private void attempt(List<Prompt> batch, int attempt, List<String> failures, CompletableFuture<List<Double>> result) {
    enqueue(() -> {
      requests.incrementAndGet();
      HttpRequest request;
      try {
        request = request(batch);
      } catch (IOException e) {
        release();
        result.completeExceptionally(new ScoringFailure("cannot encode the request: " + e.getMessage()));
        return;
      }
      http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
        release();
        String failure;
        boolean retryable = true;
        if (error != null) {
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          failure = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        } else if (response.statusCode() != 200) {
          int status = response.statusCode();
          retryable = status == 408 || status == 429 || status >= 500;
          failure = "HTTP " + status + ": " + abbreviate(response.body());
        } else {
          try {
            result.complete(parse(JSON.readTree(response.body()), batch));
            return;
          } catch (IOException | RuntimeException e) {
            failure = "not a scoring answer (" + e.getMessage() + "): " + abbreviate(response.body());
          }
        }
        failures.add("attempt " + attempt + ": " + failure);
        if (!retryable || attempt >= settings.maxAttempts()) {
          result.completeExceptionally(new ScoringFailure(endpoint + " " + (retryable ? "failed " + attempt + " times" : "refused the request")
              + ": " + String.join("; ", failures)));
          return;
        }
        retries.incrementAndGet();
        long delay = backoffMs(attempt);
        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(() -> attempt(batch, attempt + 1, failures, result));
      });
    });
  }

  private HttpRequest request(List<Prompt> batch) throws IOException {
    List<String> texts = batch.stream().map(p -> prefix(p.question(), p.passage()) + p.answer()).toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", settings.model());
    body.put("prompt", texts.size() == 1 ? texts.get(0) : texts);
    body.put("max_tokens", 0);
    body.put("echo", true);
    body.put("logprobs", 1);
    body.put("temperature", 0);
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(settings.timeout())
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (apiKey != null) request.header("Authorization", "Bearer " + apiKey);
    return request.build();
  }

  /** One score per prompt, by each choice's {@code index}. */
  private static List<Double> parse(JsonNode completion, List<Prompt> batch) {
    JsonNode choices = completion.path("choices");
    if (!choices.isArray() || choices.size() != batch.size()) {
      throw new Garbage("expected " + batch.size() + " choices, got " + (choices.isArray() ? choices.size() : "none"));
    }
    Double[] scores = new Double[batch.size()];
    for (int i = 0; i < choices.size(); i++) {
      JsonNode choice = choices.get(i);
      int index = choice.has("index") ? choice.get("index").asInt(-1) : i;
      if (index < 0 || index >= scores.length || scores[index] != null) throw new Garbage("choice index " + index + " out of place");
      Prompt p = batch.get(index);
      scores[index] = answerLogLikelihood(choice, prefix(p.question(), p.passage()).length());
    }
    return List.of(scores);
  }

  /** Mean logprob of a choice's echoed tokens whose text offset is at or past {@code answerOffset}. */
  static double answerLogLikelihood(JsonNode choice, int answerOffset) {
    JsonNode logprobs = choice.path("logprobs");
    JsonNode values = logprobs.path("token_logprobs");
    JsonNode offsets = logprobs.path("text_offset");
    if (!values.isArray() || !offsets.isArray() || values.size() != offsets.size()) {
      throw new Garbage("no echoed token_logprobs/text_offset; does the server support echo with logprobs?");
    }
    double sum = 0;
    int n = 0;
    for (int i = 0; i < values.size(); i++) {
      if (offsets.get(i).asInt() >= answerOffset && !values.get(i).isNull()) {
        double v = values.get(i).asDouble();
        if (!Double.isFinite(v) || !values.get(i).isNumber()) throw new Garbage("token logprob " + values.get(i) + " is not a finite number");
        sum += v;
        n++;
      }
    }
    if (n == 0) throw new Garbage("no answer tokens past offset " + answerOffset);
    return sum / n;
  }

  private long backoffMs(int attempt) {
    long base = min(settings.initialBackoff().multipliedBy(1L << Math.min(attempt - 1, 20)), MAX_BACKOFF).toMillis();
    return base + (base == 0 ? 0 : ThreadLocalRandom.current().nextLong(-base / 4, base / 4 + 1));
  }

  private void enqueue(Runnable send) {
    waiting.add(send);
    drain();
  }

  private void release() {
    free.incrementAndGet();
    drain();
  }

  /** Starts queued requests while a slot is free; whoever frees a slot or queues a request drains. */
  private void drain() {
    while (!waiting.isEmpty()) {
      int slots = free.get();
      if (slots == 0) return;
      if (!free.compareAndSet(slots, slots - 1)) continue;
      Runnable next = waiting.poll();
      if (next == null) {
        free.incrementAndGet();
        continue;
      }
      next.run();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String abbreviate(String body) {
    String s = body == null ? "" : body.replaceAll("\\s+", " ");
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}

package dev.attune.infra.llm;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.attune.infra.replay.UnigramLmScorer;
import io.javalin.Javalin;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code attune llm-serve}: the offline stand-in LLM ({@link UnigramLmScorer}) behind the
 * OpenAI-compatible completions protocol, so the scoring stage, the demo and the tests exercise the
 * same client path a real vLLM or llama.cpp server gets. It only scores: {@code POST
 * /v1/completions} with {@code echo: true} and {@code max_tokens: 0}, a prompt or a list of prompts;
 * each prompt comes back with its tokens (runs of letters and digits), their character offsets and
 * logprobs: log P(token | the prompt's {@code Knowledge:} passage) under the passage's Dirichlet-
 * smoothed unigram model (the whole prompt when it has no such part), the first token null as
 * OpenAI's echo gives it. The mean over the answer's tokens is exactly {@link UnigramLmScorer#score}.
 * {@code GET /v1/models} names the model; {@code GET /health} says it is up.
 */
public final class CompletionsServer implements AutoCloseable {
  public static final String MODEL = "unigram-lm-dirichlet";
  /** Prompts per request at most: a bound on one request's work. */
  public static final int MAX_PROMPTS = 256;
  private static final int MAX_BODY_BYTES = 16 << 20;
  /** Each prompt's every token has a logprob: the fast double writer (Schubfach) formats them at several times the JDK's speed. */
  private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
  private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}]+");
  private static final Pattern TEMPLATE = Pattern.compile("^Knowledge: (.*)\n\nQuestion: .*\n\nAnswer: .*$", Pattern.DOTALL);
  private final UnigramLmScorer model;
  private final EndpointFaults faults;
  private final Javalin app;
  private final AtomicLong prompts = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger peakInFlight = new java.util.concurrent.atomic.AtomicInteger();

  /** Starts serving on {@code host:port} (port 0: any free one). */
  public CompletionsServer(UnigramLmScorer model, String host, int port, EndpointFaults faults) {
    this.model = model;
    this.faults = faults;
    this.app = Javalin.create(c -> {
      c.showJavalinBanner = false;
      c.jsonMapper(new JavalinJackson(JSON, false));
      c.http.maxRequestSize = MAX_BODY_BYTES;
    });
    app.get("/health", ctx -> ctx.json(Map.of("status", "UP", "model", MODEL)));
    app.get("/v1/models", ctx -> ctx.json(Map.of("object", "list", "data", List.of(Map.of("id", MODEL, "object", "model", "owned_by", "attune")))));
    app.post("/v1/completions", ctx -> {
      peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        complete(ctx);
      } finally {
        inFlight.decrementAndGet();
      }
    });
    app.exception(BadRequestResponse.class, (e, ctx) -> ctx.status(HttpStatus.BAD_REQUEST).json(error(e.getMessage(), "invalid_request_error")));
    app.start(host, port);
  }

  public int port() {
    return app.port();
  }

  /** Prompts scored so far. */
  public long prompts() {
    return prompts.get();
  }

  /** The most completion requests it has served at once. */
  public int peakInFlight() {
    return peakInFlight.get();
  }

  private void complete(Context ctx) throws IOException {
    EndpointFaults.Fault fault = faults.take();
    if (fault == EndpointFaults.Fault.ERROR) {
      ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(error("injected fault: internal error", "server_error"));
      return;
    }
    if (fault == EndpointFaults.Fault.GARBAGE) {
      ctx.status(HttpStatus.OK).contentType("application/json").result("{\"choices\": [{\"text\": \"<html>oops");
      return;
    }
    JsonNode body;
    try {
      body = JSON.readTree(ctx.bodyAsBytes());
    } catch (IOException e) {
      throw new BadRequestResponse("body is not JSON: " + e.getMessage());
    }
    if (body == null || !body.isObject()) throw new BadRequestResponse("body must be a JSON object");
    if (!body.path("echo").asBoolean(false) || body.path("max_tokens").asInt(16) != 0) {
      throw new BadRequestResponse("this server only scores: send echo: true and max_tokens: 0");
    }
    JsonNode prompt = body.path("prompt");
    List<String> texts = new ArrayList<>();
    if (prompt.isTextual()) texts.add(prompt.asText());
    else if (prompt.isArray() && !prompt.isEmpty()) prompt.forEach(p -> {
      if (!p.isTextual()) throw new BadRequestResponse("prompt list must hold strings");
      texts.add(p.asText());
    });
    else throw new BadRequestResponse("prompt must be a string or a non-empty list of strings");
    if (texts.size() > MAX_PROMPTS) throw new BadRequestResponse(texts.size() + " prompts, at most " + MAX_PROMPTS + " per request");
    List<Map<String, Object>> choices = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) choices.add(choice(i, texts.get(i)));
    prompts.addAndGet(texts.size());
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("id", "cmpl-" + Long.toHexString(System.nanoTime()));
    response.put("object", "text_completion");
    response.put("created", System.currentTimeMillis() / 1000);
    response.put("model", MODEL);
    response.put("choices", choices);
    if (fault == EndpointFaults.Fault.STALL) {
      ctx.future(() -> CompletableFuture.supplyAsync(() -> response, CompletableFuture.delayedExecutor(faults.stallMs(), TimeUnit.MILLISECONDS))
          .thenAccept(ctx::json));
      return;
    }
    ctx.json(response);
  }

  private Map<String, Object> choice(int index, String text) {
    Matcher template = TEMPLATE.matcher(text);
    UnigramLmScorer.PassageModel passage = model.given(template.matches() ? template.group(1) : text);
    List<String> tokens = new ArrayList<>();
    List<Double> logprobs = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) {
      tokens.add(m.group());
      offsets.add(m.start());
      logprobs.add(tokens.size() == 1 ? null : passage.logProb(m.group().toLowerCase(Locale.ROOT)));
    }
    Map<String, Object> logprobsJson = new LinkedHashMap<>();
    logprobsJson.put("tokens", tokens);
    logprobsJson.put("token_logprobs", logprobs);
    logprobsJson.put("text_offset", offsets);
    logprobsJson.put("top_logprobs", null);
    Map<String, Object> choice = new LinkedHashMap<>();
    choice.put("index", index);
    choice.put("text", text);
    choice.put("logprobs", logprobsJson);
    choice.put("finish_reason", "length");
    return choice;
  }

  private static Map<String, Object> error(String message, String type) {
    return Map.of("error", Map.of("message", message, "type", type));
  }

  @Override
  public void close() {
    app.stop();
  }
}

package dev.attune.serving.api;

import dev.attune.schemas.Limits;
import dev.attune.serving.BrokerProbe;
import dev.attune.serving.EventPublisher;
import dev.attune.schemas.SignalKind;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServedIndexes;
import dev.attune.serving.RetrievalService;
import dev.attune.serving.ServingState;
import dev.attune.serving.SwapHistory;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.attune.serving.store.SearchFilter;
import io.javalin.Javalin;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ConflictResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.UnauthorizedResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * HTTP JSON API: {@code POST /v1/retrieve}, {@code POST /v1/feedback}, {@code GET /v1/version},
 * {@code GET /v1/swaps}, {@code POST /v1/admin/rollback}, {@code GET /health}, {@code GET /ready}, {@code GET /metrics},
 * and its contract, {@code GET /openapi.json} (the checked-in {@code openapi.json} beside this class,
 * which {@code OpenApiContractIT} holds the server to).
 * Bodies are bound strictly ({@link StrictJson}) and bad requests get 4xx with {@code {"error":
 * ...}}; a request whose events the broker did not acknowledge in time gets 503; with a bearer token
 * configured, every {@code /v1/} call needs it.
 */
public final class RetrievalApi {
  public static final int MAX_K = 100;
  public static final int MAX_FILTER_VALUES = 1_000;
  private static final String STARTED = "attune.started";
  private static final String STARTING = "STARTING";
  private static final Set<String> ROUTES =
      Set.of("/health", "/metrics", "/v1/version", "/v1/swaps", "/v1/retrieve", "/v1/feedback", "/v1/admin/rollback", "/ready", "/openapi.json");
  private static final byte[] OPENAPI = openApi();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RetrievalApi.class);

  /**
   * API settings; {@code bearerToken} null means no authentication; {@code bridgeByDefault} applies
   * the bridge to requests that do not say; {@code limits} bound bodies (at most {@code
   * maxEventBytes}), queries and the events built from them; {@code publishTimeout} bounds how long
   * a request waits on the broker.
   */
  public record Config(String bearerToken, boolean bridgeByDefault, Limits limits, Duration publishTimeout) {
    public Config(String bearerToken, boolean bridgeByDefault) {
      this(bearerToken, bridgeByDefault, Limits.defaults(), EventPublisher.DEFAULT_TIMEOUT);
    }

    public static Config open() {
      return new Config(null, false);
    }

    public Config withBridgeByDefault(boolean bridge) {
      return new Config(bearerToken, bridge, limits, publishTimeout);
    }
  }

  /** Optional restriction of /v1/retrieve. */
  public record FiltersJson(List<String> titles, List<String> ids) {}

  /** Request body of /v1/retrieve. */
  public record RetrieveRequest(String query, String task, Integer k, FiltersJson filters, String llmId, Boolean bridge) {}

  /** One passage of a response. */
  public record PassageJson(int rank, String id, String title, String text, float score) {}

  /**
   * Response of /v1/retrieve: the one model and index version that served it; with the bridge, also
   * the bridge version and its passage sequence (rank = the passage's retrieval rank).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RetrieveResponse(String requestId, String modelVersion, String indexVersion, List<PassageJson> passages,
      String bridgeVersion, List<PassageJson> sequence) {}

  /** LLM part of /v1/feedback. */
  public record LlmJson(String llmId, String signalKind, Map<String, Double> scores, String answer, Double sequenceReward,
      Boolean abstained) {}

  /** Human part of /v1/feedback. */
  public record HumanJson(List<String> relevantPassageIds, List<String> answers) {}

  /** Answer part of /v1/feedback: what the application's LLM answered, for the scoring stage to score. */
  public record AnswerJson(String text, String llmId) {}

  /** Request body of /v1/feedback. */
  public record FeedbackRequest(String requestId, LlmJson llm, HumanJson human, AnswerJson answer) {}

  private RetrievalApi() {}

  /** The routes the server answers. */
  public static Set<String> routes() {
    return ROUTES;
  }

  /** The API's OpenAPI document, as served at {@code /openapi.json}. */
  public static byte[] openApi() {
    try (var in = RetrievalApi.class.getResourceAsStream("openapi.json")) {
      if (in == null) throw new IllegalStateException("openapi.json is missing from the serving jar");
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static Javalin create(RetrievalService service, ServedIndexes indexes, ServingMetrics metrics, SwapHistory history,
      BrokerProbe broker, Config config) {
    Javalin app = Javalin.create(c -> {
      c.showJavalinBanner = false;
      c.http.maxRequestSize = config.limits().maxEventBytes();
    });
    app.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
    app.before("/v1/*", ctx -> authenticate(ctx, config));
    app.after(ctx -> {
      Long started = ctx.attribute(STARTED);
      // Label by route, not raw path, so unknown paths cannot blow up the label set.
      String route = ROUTES.contains(ctx.path()) ? ctx.path() : "other";
      if (started != null) metrics.observe(route, ctx.statusCode(), (System.nanoTime() - started) / 1e9);
    });
    // Liveness: 503 while starting (no version live yet), then 200; the body says what is degraded.
    app.get("/health", ctx -> {
      Map<String, Object> body = health(service, broker);
      ctx.status(STARTING.equals(body.get("status")) ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK).json(body);
    });
    // Readiness: 503 while starting or while the broker is unreachable (requests would fail with 503).
    app.get("/ready", ctx -> {
      Map<String, Object> body = health(service, broker);
      ctx.status("UP".equals(body.get("status")) ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
    });
    app.get("/metrics", ctx -> ctx.contentType(ServingMetrics.contentType()).result(metrics.scrape()));
    app.get("/openapi.json", ctx -> ctx.contentType("application/json").result(OPENAPI));
    app.get("/v1/version", ctx -> version(indexes, service, ctx));
    app.get("/v1/swaps", ctx -> ctx.json(Map.of("swaps", history.swaps().stream().map(RetrievalApi::swap).toList(),
        "failures", history.failures())));
    app.post("/v1/retrieve", ctx -> retrieve(service, ctx, config));
    app.post("/v1/feedback", ctx -> feedback(service, ctx));
    app.post("/v1/admin/rollback", ctx -> {
      if (indexes.previous().isEmpty()) throw new ConflictResponse("no previous version to roll back to");
      IndexManager.Swap swap = indexes.rollback();
      ctx.json(Map.of("from", swap.from(), "to", swap.to(), "passages", swap.passages()));
    });
    app.exception(UnauthorizedResponse.class, (e, ctx) -> ctx.status(HttpStatus.UNAUTHORIZED)
        .header("WWW-Authenticate", "Bearer realm=\"attune\"").json(Map.of("error", e.getMessage())));
    app.exception(HttpResponseException.class, (e, ctx) -> ctx.status(e.getStatus()).json(Map.of("error", e.getMessage())));
    app.exception(IllegalArgumentException.class, (e, ctx) -> ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", e.getMessage())));
    app.exception(UnsupportedOperationException.class, (e, ctx) -> ctx.status(HttpStatus.CONFLICT).json(Map.of("error", e.getMessage())));
    app.exception(EventPublisher.PublishException.class, (e, ctx) -> ctx.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header("Retry-After", "5").json(Map.of("error", "events not published, nothing was recorded for this request; retry: " + e.getMessage())));
    app.exception(IllegalStateException.class, (e, ctx) -> ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", e.getMessage())));
    app.exception(Exception.class, (e, ctx) -> {
      String id = UUID.randomUUID().toString();
      LOG.error("{} {} failed (error id {})", ctx.method(), ctx.path(), id, e);
      ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(Map.of("error", "internal error " + id + "; see the server log"));
    });
    return app;
  }

  private static void authenticate(Context ctx, Config config) {
    if (config.bearerToken() == null) return;
    String header = ctx.header("Authorization");
    String given = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
    if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), config.bearerToken().getBytes(StandardCharsets.UTF_8))) {
      throw new UnauthorizedResponse(header == null ? "missing bearer token" : "invalid bearer token");
    }
  }

  private static void version(ServedIndexes indexes, RetrievalService service, Context ctx) {
    ServingState s = indexes.current();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("modelVersion", s.modelVersion());
    body.put("indexVersion", s.indexVersion());
    body.put("bridgeVersion", service.bridgeVersion());
    body.put("previousModelVersion", indexes.previous().map(ServingState::modelVersion).orElse(null));
    body.put("building", indexes.building().orElse(null));
    body.put("corpusPassages", indexes.corpusSize());
    ctx.json(body);
  }

  private static Map<String, Object> swap(SwapHistory.Entry e) {
    IndexManager.Swap s = e.swap();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("atMs", e.atMs());
    body.put("kind", s.kind().name());
    body.put("from", s.from());
    body.put("to", s.to());
    body.put("index", s.index());
    body.put("passages", s.passages());
    body.put("embedded", s.embedded());
    body.put("caughtUp", s.caughtUp());
    // A rollback verifies nothing (NaN): null, as JSON has no NaN.
    body.put("smokeRecall", Double.isFinite(s.smokeRecall()) ? s.smokeRecall() : null);
    body.put("seconds", s.seconds());
    return body;
  }

  private static Map<String, Object> health(RetrievalService service, BrokerProbe broker) {
    BrokerProbe.State b = broker.state();
    ServingState s = service.live().orElse(null);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", s == null ? STARTING : b.reachable() ? "UP" : "DEGRADED");
    body.put("broker", Map.of("reachable", b.reachable(), "detail", b.detail(), "checkedAtMs", b.checkedAtMs()));
    body.put("modelVersion", s == null ? null : s.modelVersion());
    body.put("indexVersion", s == null ? null : s.indexVersion());
    return body;
  }

  private static <T> T body(Context ctx, Class<T> type) {
    return StrictJson.read(ctx.bodyAsBytes(), type);
  }

  private static void retrieve(RetrievalService service, Context ctx, Config config) {
    boolean bridgeByDefault = config.bridgeByDefault();
    RetrieveRequest req = body(ctx, RetrieveRequest.class);
    if (req.query() == null || req.query().isBlank()) throw new BadRequestResponse("query is empty");
    int maxQuery = config.limits().maxQueryChars();
    if (req.query().length() > maxQuery) throw new BadRequestResponse("query has " + req.query().length() + " characters, at most " + maxQuery);
    int k = req.k() == null ? 10 : req.k();
    if (k < 1 || k > MAX_K) throw new BadRequestResponse("k (" + k + ") must be in 1.." + MAX_K);
    String task = req.task() == null ? "qa" : req.task();
    if (!service.tasks().containsKey(task)) throw new BadRequestResponse("unknown task '" + task + "'; known: " + service.tasks().keySet());
    boolean bridged = req.bridge() == null ? bridgeByDefault : req.bridge();
    RetrievalService.Retrieved r = bridged
        ? service.retrieveBridged(req.query(), task, k, filter(req.filters()), req.llmId())
        : service.retrieve(req.query(), task, k, filter(req.filters()), req.llmId());
    List<PassageJson> passages = new ArrayList<>();
    for (int i = 0; i < r.hits().size(); i++) {
      var h = r.hits().get(i);
      passages.add(new PassageJson(i + 1, h.id(), h.title(), h.text(), h.score()));
    }
    List<PassageJson> sequence = r.sequence() == null ? null : r.sequence().stream()
        .map(c -> new PassageJson(c.rank(), c.hit().id(), c.hit().title(), c.hit().text(), c.hit().score())).toList();
    ctx.json(new RetrieveResponse(r.requestId(), r.modelVersion(), r.indexVersion(), passages, r.bridgeVersion(), sequence));
  }


  private static SearchFilter filter(FiltersJson f) {
    if (f == null) return SearchFilter.NONE;
    List<String> titles = f.titles() == null ? List.of() : f.titles();
    List<String> ids = f.ids() == null ? List.of() : f.ids();
    if (titles.size() + ids.size() > MAX_FILTER_VALUES) throw new BadRequestResponse("filters have more than " + MAX_FILTER_VALUES + " values");
    if (titles.stream().anyMatch(Objects::isNull) || ids.stream().anyMatch(Objects::isNull)) throw new BadRequestResponse("filters contain null");
    return new SearchFilter(Set.copyOf(titles), Set.copyOf(ids));
  }

  /** Maps the JSON onto the service's feedback; the service builds, validates and publishes the events. */
  private static void feedback(RetrievalService service, Context ctx) {
    FeedbackRequest req = body(ctx, FeedbackRequest.class);
    RetrievalService.LlmFeedback llm = null;
    if (req.llm() != null) {
      LlmJson l = req.llm();
      SignalKind kind;
      try {
        kind = SignalKind.valueOf(l.signalKind() == null ? "ANSWER_LOG_LIKELIHOOD" : l.signalKind());
      } catch (IllegalArgumentException e) {
        throw new BadRequestResponse("unknown signalKind '" + l.signalKind() + "'; known: " + java.util.Arrays.toString(SignalKind.values()));
      }
      llm = new RetrievalService.LlmFeedback(l.llmId(), kind, l.scores(), l.answer(), l.sequenceReward(), Boolean.TRUE.equals(l.abstained()));
    }
    RetrievalService.HumanFeedback human = req.human() == null ? null
        : new RetrievalService.HumanFeedback(req.human().relevantPassageIds(), req.human().answers());
    RetrievalService.Answer answer = req.answer() == null ? null : new RetrievalService.Answer(req.answer().text(), req.answer().llmId());
    RetrievalService.FeedbackEvents published = service.feedback(req.requestId(), llm, human, answer);
    Map<String, String> ids = new LinkedHashMap<>();
    if (published.llmEventId() != null) ids.put("llmEventId", published.llmEventId());
    if (published.humanEventId() != null) ids.put("humanEventId", published.humanEventId());
    if (published.answerEventId() != null) ids.put("answerEventId", published.answerEventId());
    ctx.status(HttpStatus.ACCEPTED).json(ids);
  }
}

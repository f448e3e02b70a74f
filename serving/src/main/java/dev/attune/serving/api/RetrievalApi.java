package dev.attune.serving.api;

import dev.attune.schemas.EventValidator;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.SignalKind;
import dev.attune.serving.RetrievalService;
import dev.attune.serving.ServingState;
import io.javalin.Javalin;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * HTTP JSON API: {@code POST /v1/retrieve}, {@code POST /v1/feedback}, {@code GET /v1/version},
 * {@code GET /health}. Bad requests get 400 with {@code {"error": ...}}.
 */
public final class RetrievalApi {
  public static final int MAX_QUERY_CHARS = 2_000;
  public static final int MAX_K = 100;

  /** Request body of /v1/retrieve. */
  public record RetrieveRequest(String query, String task, Integer k, String llmId) {}

  /** One passage of a response. */
  public record PassageJson(int rank, String id, String title, String text, float score) {}

  /** Response of /v1/retrieve: the one model and index version that served it. */
  public record RetrieveResponse(String requestId, String modelVersion, String indexVersion, List<PassageJson> passages) {}

  /** LLM part of /v1/feedback. */
  public record LlmJson(String llmId, String signalKind, Map<String, Double> scores, String answer, Double sequenceReward) {}

  /** Human part of /v1/feedback. */
  public record HumanJson(List<String> relevantPassageIds, List<String> answers) {}

  /** Request body of /v1/feedback. */
  public record FeedbackRequest(String requestId, LlmJson llm, HumanJson human) {}

  private RetrievalApi() {}

  public static Javalin create(RetrievalService service) {
    Javalin app = Javalin.create(config -> config.showJavalinBanner = false);
    app.get("/health", ctx -> ctx.json(Map.of("status", "UP")));
    app.get("/v1/version", ctx -> {
      ServingState s = service.current();
      ctx.json(Map.of("modelVersion", s.modelVersion(), "indexVersion", s.indexVersion()));
    });
    app.post("/v1/retrieve", ctx -> retrieve(service, ctx));
    app.post("/v1/feedback", ctx -> feedback(service, ctx));
    app.exception(BadRequestResponse.class, (e, ctx) -> ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", e.getMessage())));
    app.exception(IllegalArgumentException.class, (e, ctx) -> ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", e.getMessage())));
    app.exception(IllegalStateException.class, (e, ctx) -> ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", e.getMessage())));
    return app;
  }

  private static <T> T body(Context ctx, Class<T> type) {
    try {
      return ctx.bodyAsClass(type);
    } catch (RuntimeException e) {
      throw new BadRequestResponse("body is not a valid " + type.getSimpleName() + ": " + e.getMessage());
    }
  }

  private static void retrieve(RetrievalService service, Context ctx) {
    RetrieveRequest req = body(ctx, RetrieveRequest.class);
    if (req.query() == null || req.query().isBlank()) throw new BadRequestResponse("query is empty");
    if (req.query().length() > MAX_QUERY_CHARS) throw new BadRequestResponse("query has " + req.query().length() + " characters, at most " + MAX_QUERY_CHARS);
    int k = req.k() == null ? 10 : req.k();
    if (k < 1 || k > MAX_K) throw new BadRequestResponse("k (" + k + ") must be in 1.." + MAX_K);
    String task = req.task() == null ? "qa" : req.task();
    RetrievalService.Retrieved r = service.retrieve(req.query(), task, k, req.llmId());
    List<PassageJson> passages = new ArrayList<>();
    for (int i = 0; i < r.hits().size(); i++) {
      var h = r.hits().get(i);
      passages.add(new PassageJson(i + 1, h.id(), h.title(), h.text(), h.score()));
    }
    ctx.json(new RetrieveResponse(r.requestId(), r.modelVersion(), r.indexVersion(), passages));
  }

  private static void feedback(RetrievalService service, Context ctx) {
    FeedbackRequest req = body(ctx, FeedbackRequest.class);
    if (req.requestId() == null || req.requestId().isBlank()) throw new BadRequestResponse("requestId is empty");
    if (req.llm() == null && req.human() == null) throw new BadRequestResponse("give llm or human feedback");
    long now = System.currentTimeMillis();
    Map<String, String> ids = new LinkedHashMap<>();
    LlmFeedbackEvent llm = null;
    HumanFeedbackEvent human = null;
    if (req.llm() != null) {
      LlmJson l = req.llm();
      SignalKind kind;
      try {
        kind = SignalKind.valueOf(l.signalKind() == null ? "ANSWER_LOG_LIKELIHOOD" : l.signalKind());
      } catch (IllegalArgumentException e) {
        throw new BadRequestResponse("unknown signalKind '" + l.signalKind() + "'");
      }
      List<PassageScore> scores = new ArrayList<>();
      if (l.scores() != null) l.scores().forEach((id, s) -> scores.add(new PassageScore(id, s == null ? Double.NaN : s)));
      llm = LlmFeedbackEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setRequestId(req.requestId())
          .setTimestampMs(now).setLlmId(l.llmId() == null ? "" : l.llmId()).setSignalKind(kind).setPassageScores(scores)
          .setAnswer(l.answer()).setSequenceReward(l.sequenceReward()).build();
      EventValidator.validate(llm).ifPresent(d -> { throw new BadRequestResponse("llm feedback: " + d); });
    }
    if (req.human() != null) {
      HumanJson h = req.human();
      human = HumanFeedbackEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setRequestId(req.requestId())
          .setTimestampMs(now).setRelevantPassageIds(h.relevantPassageIds() == null ? List.of() : h.relevantPassageIds())
          .setAnswers(h.answers() == null ? List.of() : h.answers()).build();
      EventValidator.validate(human).ifPresent(d -> { throw new BadRequestResponse("human feedback: " + d); });
    }
    if (llm != null) {
      service.llmFeedback(llm);
      ids.put("llmEventId", llm.getEventId());
    }
    if (human != null) {
      service.humanFeedback(human);
      ids.put("humanEventId", human.getEventId());
    }
    ctx.status(HttpStatus.ACCEPTED).json(ids);
  }
}

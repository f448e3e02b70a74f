package dev.attune.console;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.ModelKind;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code attune console}: the operator's view of the loop, one page per question (flow, the LLM's
 * signal, decisions, serving), server-rendered HTML with inline SVG plots and the same figures as
 * JSON under {@code /api/}; the loop's topic-derived metrics at {@code /metrics}. It reads Kafka and
 * the serving API and writes only when an operator promotes or rolls back: with the serving admin
 * token, after a confirmation, as a decision on the model log.
 */
public final class AttuneConsole implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AttuneConsole.class);
  private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final String SECURITY_POLICY =
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private final ConsoleConfig config;
  private final Admin admin;
  private final FlowSampler flow;
  private final LoopTail tail;
  private final Thread tailThread;
  private final ScheduledExecutorService sampler;
  private final ServingClient serving;
  private final ModelDecisions decisions;
  private final ConsolePages pages;
  private final ConsoleMetrics metrics;
  private final Javalin http;

  private AttuneConsole(ConsoleConfig config, String host, int port) {
    this.config = config;
    admin = Admin.create(config.kafka().admin("console"));
    flow = new FlowSampler(admin, config.topics().all(), config.keepSamples());
    tail = new LoopTail(config.kafka(), config.topics());
    serving = new ServingClient(config.serving(), config.adminToken());
    decisions = new ModelDecisions(config.kafka(), config.topics().modelVersions());
    pages = new ConsolePages(config.topics());
    metrics = new ConsoleMetrics(tail, flow);
    tailThread = new Thread(tail, "console-tail");
    tailThread.setDaemon(true);
    tailThread.start();
    sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "console-sampler");
      t.setDaemon(true);
      return t;
    });
    sampler.scheduleWithFixedDelay(() -> flow.sample(System.currentTimeMillis()), 0, config.sampleEvery().toMillis(), TimeUnit.MILLISECONDS);
    http = routes(Javalin.create(c -> c.showJavalinBanner = false)).start(host, port);
  }

  /** Starts the console on {@code host:port} (0: any free port). */
  public static AttuneConsole start(ConsoleConfig config, String host, int port) {
    return new AttuneConsole(config, host, port);
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + http.port());
  }

  private Javalin routes(Javalin app) {
    app.after(ctx -> ctx.header("Content-Security-Policy", SECURITY_POLICY).header("X-Frame-Options", "DENY")
        .header("X-Content-Type-Options", "nosniff").header("Referrer-Policy", "no-referrer"));
    app.get("/", ctx -> ctx.redirect("/flow"));
    app.get("/flow", ctx -> page(ctx, pages.flow(flow.samples(), flow.error(), tail.deadLetterCounts(), tail.latestDeadLetters(), tail.unreadable())));
    app.get("/signal", ctx -> page(ctx, pages.signal(tail.windows())));
    app.get("/decisions", ctx -> page(ctx, pages.decisions(tail.decisions(), config.readOnly())));
    app.get("/serving", ctx -> page(ctx, pages.serving(serving.view(), serving.base().toString())));
    app.get("/api/flow", ctx -> {
      List<FlowSampler.Sample> samples = flow.samples();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("latest", samples.isEmpty() ? null : samples.get(samples.size() - 1));
      body.put("error", flow.error());
      body.put("deadLetters", tail.deadLetterCounts());
      body.put("latestDeadLetters", tail.latestDeadLetters());
      ctx.json(body);
    });
    app.get("/api/signal", ctx -> ctx.json(tail.windows().stream().map(AttuneConsole::json).toList()));
    app.get("/api/decisions", ctx -> ctx.json(tail.decisions().stream().map(AttuneConsole::json).toList()));
    app.get("/api/serving", ctx -> ctx.json(serving.view()));
    app.get("/metrics", ctx -> ctx.contentType(ConsoleMetrics.contentType()).result(metrics.scrape()));
    app.post("/actions/{action}", this::act);
    app.exception(Exception.class, (e, ctx) -> {
      LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
      ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).html(Html.page(ctx.path(), "<p class='error'>" + Html.escape(String.valueOf(e.getMessage())) + "</p>", "see the console's log"));
    });
    return app;
  }

  private void page(Context ctx, String body) {
    ctx.html(Html.page(ctx.path(), body, "Read at " + Html.time(System.currentTimeMillis()) + " from " + config.kafka().bootstrapServers()
        + " and " + serving.base() + (config.readOnly() ? "; read-only" : "")));
  }

  /** An Avro record as JSON: its own JSON rendering, which keeps field names and unions as the schema has them. */
  private static JsonNode json(SpecificRecord record) {
    try {
      return JSON.readTree(record.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Promote or roll back: refused on a read-only console (403) and without the admin token (401);
   * otherwise planned and shown for confirmation, and published only when confirmed against the
   * served version the operator saw (409 if it moved since).
   */
  private void act(Context ctx) {
    ctx.header("Cache-Control", "no-store");
    String action = ctx.pathParam("action");
    if (!List.of("promote", "rollback").contains(action)) {
      answer(ctx, HttpStatus.NOT_FOUND, "no action '" + action + "'; known: promote, rollback");
      return;
    }
    if (config.readOnly()) {
      answer(ctx, HttpStatus.FORBIDDEN, "this console is read-only: it was started without the admin token, so it changes nothing");
      return;
    }
    String header = ctx.header("Authorization");
    String given = ctx.formParam("token") != null && !ctx.formParam("token").isEmpty() ? ctx.formParam("token")
        : header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
    if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), config.adminToken().getBytes(StandardCharsets.UTF_8))) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"attune\"");
      answer(ctx, HttpStatus.UNAUTHORIZED, given.isEmpty() ? "the admin token is required to " + action : "invalid admin token; nothing was changed");
      return;
    }
    ModelDecisions.Plan plan;
    try {
      ModelKind kind = ModelKind.valueOf(String.valueOf(ctx.formParam("kind")));
      String who = "console (" + ctx.ip() + ")";
      plan = action.equals("promote") ? decisions.promote(kind, Integer.parseInt(String.valueOf(ctx.formParam("version"))), who)
          : decisions.rollback(kind, blank(ctx.formParam("to")) ? null : Integer.valueOf(ctx.formParam("to")), who);
    } catch (IllegalArgumentException e) {
      answer(ctx, HttpStatus.BAD_REQUEST, "cannot " + action + ": " + e.getMessage());
      return;
    }
    String confirmed = ctx.formParam("confirm");
    if (blank(confirmed)) {
      confirm(ctx, action, plan);
      return;
    }
    int seen;
    try {
      seen = Integer.parseInt(confirmed);
    } catch (NumberFormatException e) {
      answer(ctx, HttpStatus.BAD_REQUEST, "confirm must be the served version number the confirmation showed, not '" + confirmed + "'");
      return;
    }
    try {
      if (seen != plan.servedNow()) {
        throw new ModelDecisions.StalePlan("the served version changed to " + ModelRegistry.name(plan.kind(), plan.servedNow())
            + " since you confirmed against " + ModelRegistry.name(plan.kind(), seen) + "; nothing was published, look again");
      }
      decisions.publish(plan);
    } catch (ModelDecisions.StalePlan e) {
      answer(ctx, HttpStatus.CONFLICT, e.getMessage());
      return;
    }
    LOG.info("{} published by {}", plan.describe(), ctx.ip());
    answer(ctx, HttpStatus.OK, "published — " + plan.describe() + ". Serving follows the model log; the Serving view shows the swap.");
  }

  private void confirm(Context ctx, String action, ModelDecisions.Plan plan) {
    StringBuilder b = new StringBuilder("<p id='confirm-question'>").append(Html.escape(plan.describe())).append("?</p><ul>");
    plan.records().forEach(r -> b.append("<li>").append(Html.escape(r.getName() + " → " + r.getStatus() + ": " + r.getReason())).append("</li>"));
    b.append("</ul><form id='confirm' method='post' action='/actions/").append(action).append("'>");
    for (String field : List.of("kind", "version", "to", "token")) {
      String value = ctx.formParam(field);
      if (value != null) b.append("<input type='hidden' name='").append(field).append("' value='").append(Html.escape(value)).append("'>");
    }
    b.append("<input type='hidden' name='confirm' value='").append(plan.servedNow()).append("'><button type='submit'>Confirm ")
        .append(Html.escape(action)).append("</button> <a href='/decisions'>Cancel</a></form>");
    ctx.html(Html.page("/actions", b.toString(), "Nothing changes until you confirm."));
  }

  private static void answer(Context ctx, HttpStatus status, String message) {
    ctx.status(status).html(Html.page("/actions", "<p id='outcome' class='" + (status == HttpStatus.OK ? "ok" : "error") + "'>"
        + Html.escape(message) + "</p><p><a href='/decisions'>Back to the decisions</a></p>", status.getCode() + " " + status.getMessage()));
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  @Override
  public void close() {
    http.stop();
    sampler.shutdownNow();
    tail.close();
    try {
      tailThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    admin.close();
  }
}

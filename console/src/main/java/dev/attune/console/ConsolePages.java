package dev.attune.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.LlmPreferenceStats;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PreferenceStats;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleFunction;

/** The four views, rendered from what the console read; one method per question. */
final class ConsolePages {
  /** The measures plotted per retriever version: the candidate's, and serving's at decision time. */
  private static final List<String> PLOTTED = List.of("heldout.llm_utility@5", "heldout.ndcg@10");
  private static final DoubleFunction<String> CLOCK = x -> Html.time((long) x).substring(11, 19);
  private static final DoubleFunction<String> FRACTION = y -> String.format(Locale.ROOT, "%.3f", y);
  private final Topics topics;
  /** Which stage writes each topic, in the order an event travels. */
  private final Map<String, String> writers = new LinkedHashMap<>();

  ConsolePages(Topics topics) {
    this.topics = topics;
    put(topics.queries(), "serving");
    put(topics.retrievals(), "serving");
    put(topics.answers(), "serving");
    put(topics.llmFeedback(), "serving, scoring");
    put(topics.humanFeedback(), "serving");
    put(topics.episodes(), "assembler");
    put(topics.trainingExamples(), "miner");
    put(topics.teacherDistributions(), "miner");
    put(topics.silverSequences(), "miner");
    put(topics.preferenceStats(), "miner");
    put(topics.modelVersions(), "trainer, operators");
    put(topics.deadLetters(), "every stage");
    put(topics.corpus(), "corpus owner");
  }

  private void put(Topic<?> topic, String writer) {
    writers.put(topic.name(), writer);
  }

  String flow(List<FlowSampler.Sample> samples, String sampleError, List<LoopTail.ReasonCount> deadLetters,
      List<LoopTail.Rejected> latest, long unreadable) {
    StringBuilder b = new StringBuilder();
    if (sampleError != null) b.append("<p class='error'>").append(Html.escape(sampleError)).append("</p>");
    FlowSampler.Sample last = samples.isEmpty() ? null : samples.get(samples.size() - 1);
    FlowSampler.Sample minuteAgo = samples.stream().filter(s -> last != null && s.atMs() >= last.atMs() - 60_000).findFirst().orElse(null);
    List<List<String>> rows = new ArrayList<>();
    for (var e : writers.entrySet()) {
      Long n = last == null ? null : last.records().get(e.getKey());
      double rate = rate(minuteAgo, last, e.getKey());
      rows.add(List.of(Html.cell(e.getKey()), Html.cell(e.getValue()), Html.cell(n == null ? "absent" : n), Html.num(rate, "%.1f")));
    }
    b.append("<h2>Events per stage</h2>").append(Html.table("topics", List.of("topic", "written by", "end offset", "per second (last minute)"), rows));
    List<Svg.Series> series = new ArrayList<>();
    for (Topic<?> t : List.of(topics.queries(), topics.llmFeedback(), topics.episodes(), topics.trainingExamples(), topics.deadLetters())) {
      List<double[]> points = new ArrayList<>();
      for (int i = 1; i < samples.size(); i++) {
        double r = rate(samples.get(i - 1), samples.get(i), t.name());
        if (!Double.isNaN(r)) points.add(new double[] {samples.get(i).atMs(), r});
      }
      series.add(new Svg.Series(t.name(), points));
    }
    b.append(Svg.lines("flow-rates", "records per second by topic", series, CLOCK, y -> String.format(Locale.ROOT, "%.1f/s", y), Svg.Style.FROM_ZERO));

    long total = deadLetters.stream().mapToLong(LoopTail.ReasonCount::count).sum();
    b.append("<h2>Dead letters by reason</h2><p id='dead-letter-total'>").append(total).append(" dead letters")
        .append(unreadable > 0 ? " (" + unreadable + " records the console could not decode)" : "").append("</p>");
    List<LoopTail.ReasonCount> sorted = deadLetters.stream().sorted(Comparator.comparingLong(LoopTail.ReasonCount::count).reversed()).toList();
    b.append(Svg.bars("dead-letter-reasons", "dead letters by stage and reason",
        sorted.stream().map(c -> new Svg.Bar(c.stage() + " · " + c.reason(), c.count())).toList(), v -> String.valueOf((long) v)));
    b.append(Html.table("dead-letters", List.of("stage", "reason", "count"),
        sorted.stream().map(c -> List.of(Html.cell(c.stage()), Html.cell(c.reason()), Html.cell(c.count()))).toList()));
    b.append("<h3>Latest</h3>").append(Html.table("latest-dead-letters", List.of("when", "stage", "reason", "from topic", "detail"),
        latest.stream().map(r -> List.of(Html.cell(Html.time(r.atMs())), Html.cell(r.stage()), Html.cell(r.reason()), Html.cell(r.sourceTopic()),
            Html.cell(r.detail()))).toList()));

    b.append("<h2>Consumer lag</h2>").append(Html.table("lag", List.of("consumer group", "records behind"),
        last == null ? List.of() : last.lag().entrySet().stream().map(e -> List.of(Html.cell(e.getKey()), Html.cell(e.getValue()))).toList()));
    return b.toString();
  }

  private static double rate(FlowSampler.Sample from, FlowSampler.Sample to, String topic) {
    if (from == null || to == null || to.atMs() <= from.atMs()) return Double.NaN;
    Long a = from.records().get(topic), z = to.records().get(topic);
    return a == null || z == null ? Double.NaN : (z - a) * 1000.0 / (to.atMs() - from.atMs());
  }

  String signal(List<PreferenceStats> windows) {
    StringBuilder b = new StringBuilder("<p class='note'>Per window of mined episodes. AAR reports human–LLM overlap near 13% and "
        + "LLM–LLM overlap above 55%: a teacher that only copies the labels (share near 1) teaches nothing new.</p>");
    List<double[]> overlap = new ArrayList<>(), copies = new ArrayList<>();
    Map<String, List<double[]>> pairs = new TreeMap<>();
    for (PreferenceStats w : windows) {
      if (w.getLabeledEpisodes() > 0) {
        overlap.add(new double[] {w.getWindowEndMs(), w.getHumanLlmOverlap()});
        copies.add(new double[] {w.getWindowEndMs(), w.getLlmCopiesHumanShare()});
      }
      w.getLlmPairOverlap().forEach((pair, v) -> pairs.computeIfAbsent(pair.toString(), p -> new ArrayList<>()).add(new double[] {w.getWindowEndMs(), v}));
    }
    b.append("<h2>Human and LLM preferences</h2>").append(Svg.lines("signal-overlap", "human–LLM overlap and teacher-copies-label share",
        List.of(new Svg.Series("human∩LLM overlap", overlap), new Svg.Series("LLM top-1 human-labelled", copies)), CLOCK, FRACTION,
        Svg.Style.FROM_ZERO));
    b.append("<h2>LLM–LLM agreement</h2>").append(Svg.lines("signal-pairs", "top-K overlap per LLM pair",
        pairs.entrySet().stream().map(e -> new Svg.Series(e.getKey(), e.getValue())).toList(), CLOCK, FRACTION, Svg.Style.FROM_ZERO));
    PreferenceStats last = windows.isEmpty() ? null : windows.get(windows.size() - 1);
    List<List<String>> perLlm = new ArrayList<>();
    if (last != null) {
      for (var e : new TreeMap<>(last.getPerLlm()).entrySet()) {
        LlmPreferenceStats s = e.getValue();
        perLlm.add(List.of(Html.cell(e.getKey()), Html.cell(s.getEpisodes()), Html.cell(s.getLabeledEpisodes()), Html.num(s.getHumanOverlap(), "%.3f"),
            Html.num(s.getCopiesHumanShare(), "%.3f")));
      }
    }
    b.append("<h2>Latest window, per LLM</h2>").append(Html.table("per-llm", List.of("LLM", "episodes", "labelled", "human overlap", "top-1 human-labelled"), perLlm));
    List<List<String>> rows = new ArrayList<>();
    for (int i = windows.size() - 1; i >= Math.max(0, windows.size() - 20); i--) {
      PreferenceStats w = windows.get(i);
      rows.add(List.of(Html.cell(Html.time(w.getWindowEndMs())), Html.cell(w.getEpisodes()), Html.cell(w.getLabeledEpisodes()),
          Html.num(w.getLabeledEpisodes() > 0 ? w.getHumanLlmOverlap() : Double.NaN, "%.3f"),
          Html.num(w.getLabeledEpisodes() > 0 ? w.getLlmCopiesHumanShare() : Double.NaN, "%.3f")));
    }
    return b.append("<h2>Recent windows</h2>").append(Html.table("windows", List.of("window end", "episodes", "labelled", "human∩LLM overlap",
        "LLM top-1 human-labelled"), rows)).toString();
  }

  String decisions(List<ModelVersion> records, boolean readOnly) {
    StringBuilder b = new StringBuilder();
    ModelLog retrievers = new ModelLog(ModelKind.RETRIEVER), bridges = new ModelLog(ModelKind.BRIDGE);
    records.forEach(r -> {
      retrievers.apply(r);
      bridges.apply(r);
    });
    b.append("<p id='served'>Served now: <b>").append(ModelRegistry.name(ModelKind.RETRIEVER, retrievers.servingVersion())).append("</b>, bridge <b>")
        .append(ModelRegistry.name(ModelKind.BRIDGE, bridges.servingVersion())).append("</b> (the model log's rule: the latest PROMOTED not ROLLED_BACK since).</p>");
    // The trainer's record of each version carries its evaluation; later restatements (promote, rollback) copy it.
    Map<Integer, ModelVersion> firstRecord = new TreeMap<>();
    records.stream().filter(r -> r.getKind() == ModelKind.RETRIEVER && r.getVersion() > 0).forEach(r -> firstRecord.putIfAbsent(r.getVersion(), r));
    b.append("<h2>Quality per retriever version</h2><p class='note'>Each version's figures at its decision: the candidate's and, on the same "
        + "held-out questions, the version serving then.</p>");
    for (String measure : PLOTTED) {
      List<Svg.Series> series = new ArrayList<>();
      for (String who : List.of("", "serving.")) {
        List<double[]> points = new ArrayList<>();
        firstRecord.forEach((v, r) -> {
          Double value = r.getMetrics().get(who + measure);
          if (value != null) points.add(new double[] {v, value});
        });
        series.add(new Svg.Series(who.isEmpty() ? "candidate" : "serving at decision", points));
      }
      b.append(Svg.lines("decision-" + measure.replaceAll("[^a-z0-9]+", "-"), measure, series, x -> "v" + Math.round(x),
          y -> String.format(Locale.ROOT, "%.4f", y), Svg.Style.FITTED));
    }
    List<List<String>> rows = new ArrayList<>();
    for (int i = records.size() - 1; i >= 0; i--) {
      ModelVersion r = records.get(i);
      rows.add(List.of(Html.cell(Html.time(r.getCreatedAtMs())), Html.cell(r.getName()), Html.cell(r.getStatus()),
          Html.cell(r.getParentVersion() == null ? null : "v" + r.getParentVersion()), Html.cell(r.getIndexVersion() == null ? "own" : "v" + r.getIndexVersion()),
          Html.cell(r.getTrainingExamples()), Html.cell(r.getTrainingSteps()), training(r), "<td>" + measures(r) + "</td>",
          Html.cell(r.getLineage().stream().map(l -> l.getPartition() + ":[" + l.getFromOffset() + "," + l.getUntilOffset() + ")").toList()),
          Html.cell(r.getReason())));
    }
    b.append("<h2>Every decision, newest first</h2>").append(Html.table("decisions", List.of("when", "version", "status", "parent", "index",
        "examples", "steps", "loss, seconds", "candidate vs serving", "lineage", "reason"), rows));
    b.append("<h2>Act</h2>");
    if (readOnly) {
      b.append("<p id='read-only' class='note'>Read-only: this console was started without the admin token, so it promotes and rolls back nothing.</p>");
    }
    String disabled = readOnly ? " disabled" : "";
    b.append("<form id='promote' method='post' action='/actions/promote'><b>Promote</b> ").append(kindSelect(disabled))
        .append("<label>version <input name='version' type='number' min='1' required").append(disabled).append("></label>")
        .append("<label>admin token <input name='token' type='password' autocomplete='off'").append(disabled).append("></label>")
        .append("<button type='submit'").append(disabled).append(">Promote…</button></form>");
    b.append("<form id='rollback' method='post' action='/actions/rollback'><b>Roll back</b> ").append(kindSelect(disabled))
        .append("<label>to version <input name='to' type='number' min='0' placeholder='previous'").append(disabled).append("></label>")
        .append("<label>admin token <input name='token' type='password' autocomplete='off'").append(disabled).append("></label>")
        .append("<button type='submit'").append(disabled).append(">Roll back…</button></form>");
    return b.append("<p class='note'>Both ask for confirmation, then append a decision to the model log, which every serving node and the trainer obey.</p>")
        .toString();
  }

  private static String kindSelect(String disabled) {
    return "<label>kind <select name='kind'" + disabled + "><option>RETRIEVER</option><option>BRIDGE</option></select></label>";
  }

  /** Each measure (name@k) the candidate and serving were both evaluated on, held-out and reference; counts left out. */
  private static String measures(ModelVersion r) {
    StringBuilder out = new StringBuilder();
    new TreeMap<>(r.getMetrics()).forEach((k, v) -> {
      Double serving = r.getMetrics().get("serving." + k);
      if (serving == null || !k.contains("@")) return;
      out.append(Html.escape(k)).append(" ").append(String.format(Locale.ROOT, "%.4f vs %.4f", v, serving)).append("<br>");
    });
    return out.toString();
  }

  /** How training went: first and last loss, the round's seconds. */
  private static String training(ModelVersion r) {
    Double first = r.getMetrics().get("first_loss"), last = r.getMetrics().get("last_loss"), seconds = r.getMetrics().get("round_seconds");
    if (first == null && last == null && seconds == null) return Html.cell(null);
    return Html.cell(String.format(Locale.ROOT, "%s → %s, %s s", fmt(first, "%.3f"), fmt(last, "%.3f"), fmt(seconds, "%.0f")));
  }

  private static String fmt(Double v, String format) {
    return v == null ? "-" : String.format(Locale.ROOT, format, v);
  }

  String serving(ServingClient.View view, String servingUri) {
    StringBuilder b = new StringBuilder();
    if (view.error() != null) return b.append("<p class='error'>").append(Html.escape(view.error())).append("</p>").toString();
    JsonNode v = view.version();
    List<List<String>> now = new ArrayList<>();
    for (String field : List.of("modelVersion", "indexVersion", "bridgeVersion", "previousModelVersion", "building", "corpusPassages")) {
      now.add(List.of(Html.cell(field), Html.cell(v.hasNonNull(field) ? v.get(field).asText() : null)));
    }
    b.append("<p class='note'>").append(Html.escape(servingUri)).append("</p>").append(Html.table("version", List.of("", "now"), now));
    long failed = view.requestsByStatus().entrySet().stream().filter(e -> e.getKey() != null && e.getKey().startsWith("5"))
        .mapToLong(Map.Entry::getValue).sum();
    b.append(Html.table("requests", List.of("requests", "5xx (failed)", "retrieve p50", "retrieve p99", "failed swaps"), List.of(List.of(
        Html.cell(view.requestsByStatus().values().stream().mapToLong(Long::longValue).sum()), Html.cell(failed),
        Html.num(view.retrieveP50() * 1000, "%.1f ms"), Html.num(view.retrieveP99() * 1000, "%.1f ms"), Html.cell(view.swapFailures())))));
    b.append("<p class='note'>Mixed-version responses: none by construction — a request reads one (query encoder, index) pair once, and every "
        + "response names its model and index version.</p>");
    List<JsonNode> swaps = new ArrayList<>();
    view.swaps().get("swaps").forEach(swaps::add);
    Map<String, List<double[]>> byKind = new TreeMap<>();
    for (int i = swaps.size() - 1; i >= 0; i--) {
      JsonNode s = swaps.get(i);
      byKind.computeIfAbsent(s.get("kind").asText(), k -> new ArrayList<>()).add(new double[] {s.get("atMs").asDouble(), s.get("seconds").asDouble()});
    }
    b.append("<h2>Swap timeline</h2>").append(Svg.lines("swap-timeline", "seconds each swap took, by kind",
        byKind.entrySet().stream().map(e -> new Svg.Series(e.getKey(), e.getValue())).toList(), CLOCK, y -> String.format(Locale.ROOT, "%.1f s", y),
        Svg.Style.EVENTS));
    b.append(Html.table("swaps", List.of("when", "kind", "from", "to", "index", "passages", "embedded", "caught up", "smoke recall", "seconds"),
        swaps.stream().map(s -> List.of(Html.cell(Html.time(s.get("atMs").asLong())), Html.cell(s.get("kind").asText()), Html.cell(s.get("from").asText()),
            Html.cell(s.get("to").asText()), Html.cell(s.get("index").asText()), Html.cell(s.get("passages").asLong()), Html.cell(s.get("embedded").asLong()),
            Html.cell(s.get("caughtUp").asLong()), Html.num(s.get("smokeRecall").isNumber() ? s.get("smokeRecall").asDouble() : Double.NaN, "%.2f"), Html.num(s.get("seconds").asDouble(), "%.2f"))).toList()));
    List<List<String>> failures = new ArrayList<>();
    view.swaps().get("failures").forEach(f -> failures.add(List.of(Html.cell(Html.time(f.get("atMs").asLong())), Html.cell(f.get("model").asText()),
        Html.cell(f.get("error").asText()))));
    return b.append("<h2>Failed builds</h2>").append(Html.table("swap-failures", List.of("when", "model", "why"), failures)).toString();
  }
}

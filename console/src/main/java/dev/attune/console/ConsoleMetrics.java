package dev.attune.console;

import dev.attune.schemas.PreferenceStats;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The loop's metrics as its topics tell them, for Prometheus: dead letters by stage and reason
 * (every stage writes them to one topic, so they are counted once here, whatever process wrote
 * them), records per topic, consumer-group lag, and the latest preference-statistics window.
 */
public final class ConsoleMetrics {
  /** The metrics' names, for dashboards to be checked against. */
  public static final List<String> NAMES = List.of("attune_dead_letters_total", "attune_topic_end_offset", "attune_consumer_group_lag",
      "attune_preference_human_llm_overlap", "attune_preference_llm_copies_human_share");
  private final PrometheusRegistry registry = new PrometheusRegistry();

  ConsoleMetrics(LoopTail tail, FlowSampler flow) {
    CounterWithCallback.builder().name(NAMES.get(0)).help("Dead letters on the dead-letter topic, by the stage that wrote them and reason")
        .labelNames("stage", "reason")
        .callback(cb -> tail.deadLetterCounts().forEach(c -> cb.call(c.count(), c.stage(), c.reason()))).register(registry);
    GaugeWithCallback.builder().name(NAMES.get(1)).help("Sum of the topic's partitions' end offsets (records, plus transaction markers)")
        .labelNames("topic").callback(cb -> latest(flow).ifPresent(s -> s.records().forEach((t, n) -> cb.call(n, t)))).register(registry);
    GaugeWithCallback.builder().name(NAMES.get(2)).help("Records a consumer group has not committed yet, over the Attune topics it reads")
        .labelNames("group").callback(cb -> latest(flow).ifPresent(s -> s.lag().forEach((g, n) -> cb.call(n, g)))).register(registry);
    GaugeWithCallback.builder().name(NAMES.get(3)).help("Latest window's mean Jaccard overlap of the human-labelled passages and the LLM's top-K")
        .callback(cb -> lastWindow(tail).ifPresent(w -> cb.call(w.getHumanLlmOverlap()))).register(registry);
    GaugeWithCallback.builder().name(NAMES.get(4)).help("Latest window's share of LLM top-1 passages a human labelled")
        .callback(cb -> lastWindow(tail).ifPresent(w -> cb.call(w.getLlmCopiesHumanShare()))).register(registry);
  }

  private static Optional<FlowSampler.Sample> latest(FlowSampler flow) {
    List<FlowSampler.Sample> s = flow.samples();
    return s.isEmpty() ? Optional.empty() : Optional.of(s.get(s.size() - 1));
  }

  private static Optional<PreferenceStats> lastWindow(LoopTail tail) {
    List<PreferenceStats> w = tail.windows();
    return w.isEmpty() ? Optional.empty() : Optional.of(w.get(w.size() - 1));
  }

  String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }
}

package dev.attune.serving.api;

import dev.attune.serving.IndexManager;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * Prometheus metrics of one serving instance, in its own registry: request rate and latency per
 * endpoint and status, swaps (count and duration by kind) and failed builds, index and corpus size, corpus changes applied.
 */
public final class ServingMetrics implements IndexManager.Listener {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests = Counter.builder().name("attune_requests_total").help("HTTP requests by endpoint and status")
      .labelNames("endpoint", "status").register(registry);
  private final Histogram latency = Histogram.builder().name("attune_request_seconds").help("HTTP request latency")
      .labelNames("endpoint").classicOnly()
      .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
  private final Counter swaps = Counter.builder().name("attune_swaps_total").help("Serving version changes by kind")
      .labelNames("kind").register(registry);
  private final Histogram swapSeconds = Histogram.builder().name("attune_swap_seconds").help("How long a swap took, by kind")
      .labelNames("kind").classicOnly().classicUpperBounds(0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600).register(registry);
  private final Counter swapFailures = Counter.builder().name("attune_swap_failures_total")
      .help("Builds that failed or were refused by verification; the live version stayed").register(registry);
  private final Counter corpusChanges = Counter.builder().name("attune_corpus_changes_applied_total")
      .help("Corpus changes applied to the kept index versions").register(registry);

  /** Registers the gauges read at scrape time. */
  public ServingMetrics(LongSupplier indexPassages, LongSupplier corpusPassages) {
    GaugeWithCallback.builder().name("attune_index_passages").help("Passages in the live index version")
        .callback(cb -> cb.call(indexPassages.getAsLong())).register(registry);
    GaugeWithCallback.builder().name("attune_corpus_passages").help("Passages in the corpus topic")
        .callback(cb -> cb.call(corpusPassages.getAsLong())).register(registry);
  }

  public void observe(String endpoint, int status, double seconds) {
    requests.labelValues(endpoint, Integer.toString(status)).inc();
    latency.labelValues(endpoint).observe(seconds);
  }

  @Override
  public void swapped(IndexManager.Swap swap) {
    String kind = swap.kind().name().toLowerCase();
    swaps.labelValues(kind).inc();
    swapSeconds.labelValues(kind).observe(swap.seconds());
  }

  @Override
  public void failed(String model, Exception cause) {
    swapFailures.inc();
  }

  @Override
  public void corpusApplied(int changes) {
    corpusChanges.inc(changes);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }
}

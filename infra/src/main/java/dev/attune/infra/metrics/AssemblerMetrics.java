package dev.attune.infra.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The assembler's metrics, read at scrape time from Kafka Streams' own (summed over its threads
 * and tasks): records processed, their rate, records dropped (late or unreadable by Streams
 * itself), commit latency, the largest consumer lag, and whether it is running. What it
 * dead-letters is counted by reason on the dead-letter topic ({@code attune console}'s metrics).
 */
public final class AssemblerMetrics {
  private AssemblerMetrics() {}

  public static void register(KafkaStreams streams, PrometheusRegistry registry) {
    CounterWithCallback.builder().name("attune_assembler_records_processed_total").help("Records the assembler's threads processed")
        .callback(cb -> cb.call(sum(streams, "stream-thread-metrics", "process-total"))).register(registry);
    gauge(registry, streams, "attune_assembler_process_rate", "Records processed per second", "stream-thread-metrics", "process-rate");
    CounterWithCallback.builder().name("attune_assembler_dropped_records_total").help("Records Kafka Streams dropped (late past the grace, or unprocessable)")
        .callback(cb -> cb.call(sum(streams, "stream-task-metrics", "dropped-records-total"))).register(registry);
    gauge(registry, streams, "attune_assembler_commit_latency_ms", "Mean commit latency", "stream-thread-metrics", "commit-latency-avg");
    GaugeWithCallback.builder().name("attune_assembler_consumer_lag_max").help("The largest lag of a partition the assembler reads")
        .callback(cb -> cb.call(max(streams, "consumer-fetch-manager-metrics", "records-lag-max"))).register(registry);
    GaugeWithCallback.builder().name("attune_assembler_running").help("1 while the assembler is RUNNING or REBALANCING")
        .callback(cb -> cb.call(streams.state().isRunningOrRebalancing() ? 1 : 0)).register(registry);
  }

  private static void gauge(PrometheusRegistry registry, KafkaStreams streams, String name, String help, String group, String metric) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(sum(streams, group, metric))).register(registry);
  }

  private static double sum(KafkaStreams streams, String group, String name) {
    double total = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      if (matches(e.getKey(), group, name) && e.getValue().metricValue() instanceof Number n && Double.isFinite(n.doubleValue())) total += n.doubleValue();
    }
    return total;
  }

  private static double max(KafkaStreams streams, String group, String name) {
    double most = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      if (matches(e.getKey(), group, name) && e.getValue().metricValue() instanceof Number n && Double.isFinite(n.doubleValue())) {
        most = Math.max(most, n.doubleValue());
      }
    }
    return most;
  }

  private static boolean matches(MetricName m, String group, String name) {
    return m.group().equals(group) && m.name().equals(name);
  }
}

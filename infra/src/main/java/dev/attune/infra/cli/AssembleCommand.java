package dev.attune.infra.cli;

import dev.attune.infra.metrics.AssemblerMetrics;
import dev.attune.infra.metrics.MetricsEndpoint;
import dev.attune.streams.assembler.AssemblerConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.attune.streams.assembler.EpisodeAssembler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune assemble}: the Kafka Streams assembler alone; options left out keep {@link AssemblerConfig#defaults}. */
@Command(name = "assemble", description = "Run the Kafka Streams episode assembler against an external Kafka.")
final class AssembleCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @Option(names = "--state-dir", defaultValue = ".attune/streams") Path stateDir;
  @Option(names = "--replication-factor", description = "Replication of the internal topics (default: the assembler's, 1).") Integer replication;
  @Option(names = "--window", description = "Event-time episode window (ISO-8601) (default: the assembler's, PT30S).") Duration window;
  @Option(names = "--grace", description = "Grace for late events after the window (ISO-8601) (default: the assembler's, PT10S).") Duration grace;
  @Option(names = "--missing-llm-feedback",
      description = "EMIT_HUMAN_ONLY or DEAD_LETTER for episodes closed without LLM feedback (default: the assembler's, EMIT_HUMAN_ONLY).")
  AssemblerConfig.MissingLlmFeedback missingLlm;
  @CommandLine.Mixin LimitsOptions limits;
  @Option(names = "--metrics-port", description = "Serve the assembler's metrics for Prometheus on this port at /metrics (default: none).") Integer metricsPort;

  @Override
  public Integer call() throws Exception {
    AssemblerConfig d = AssemblerConfig.defaults(kafka.settings(), stateDir);
    AssemblerConfig config = new AssemblerConfig(d.kafka(), d.applicationId(), d.topics(),
        window == null ? d.window() : window, grace == null ? d.grace() : grace, missingLlm == null ? d.missingLlmFeedback() : missingLlm,
        d.closedRetention(), d.closeCheckInterval(), d.closeWhenComplete(), stateDir, replication == null ? d.replicationFactor() : replication,
        limits.limits(), d.restarts());
    CompletableFuture<String> gaveUp = new CompletableFuture<>();
    var streams = EpisodeAssembler.start(config, Duration.ofMinutes(2),
        failure -> gaveUp.complete("assembler gave up after " + config.restarts().attempts() + " restarts: " + failure));
    MetricsEndpoint metrics = null;
    if (metricsPort != null) {
      PrometheusRegistry registry = new PrometheusRegistry();
      AssemblerMetrics.register(streams, registry);
      metrics = MetricsEndpoint.start(registry, "0.0.0.0", metricsPort);
      System.out.println("assembler metrics on :" + metrics.port() + "/metrics");
    }
    System.out.println("assembler RUNNING");
    MetricsEndpoint endpoint = metrics;
    return Lifecycle.runUntilStopped(() -> {
      if (endpoint != null) endpoint.close();
      streams.close(Duration.ofSeconds(30));
    }, gaveUp);
  }
}

package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attune.serving.IndexManager;
import dev.attune.serving.api.ServingMetrics;
import dev.attune.console.ConsoleMetrics;
import dev.attune.infra.metrics.AssemblerMetrics;
import dev.attune.infra.metrics.TrainerMetrics;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's panels each query something, and every Attune metric they name is one a stage
 * exposes: serving's, the trainer's and the assembler's registries scraped here, the console's
 * names (which {@code ConsoleIT} finds in its live scrape); the Flink jobs' names are checked
 * against a live scrape of the scoring job in {@code ScoringIT}.
 */
class GrafanaDashboardTest {
  @TempDir Path work;

  @Test
  void every_panel_queries_metrics_a_stage_exposes() throws Exception {
    JsonNode dashboard = GrafanaDashboard.read();
    assertThat(dashboard.path("uid").asText()).isEqualTo("attune-loop");
    for (JsonNode panel : dashboard.path("panels")) {
      if (panel.path("type").asText().equals("row")) continue;
      assertThat(panel.path("targets")).as("queries of %s", panel.path("title")).isNotEmpty()
          .allSatisfy(t -> assertThat(t.path("expr").asText()).isNotBlank());
      assertThat(panel.path("description").asText()).as("what %s shows", panel.path("title")).isNotBlank();
    }
    ServingMetrics metrics = new ServingMetrics(() -> 10, () -> 10);
    metrics.observe("/v1/retrieve", 200, 0.01);
    metrics.swapped(new IndexManager.Swap(IndexManager.SwapKind.BUILD, "retriever-v0", "retriever-v1", "retriever-v1", 10, 10, 0, 1.0, 1.0));
    metrics.failed("retriever-v2", new IllegalStateException("refused"));
    metrics.corpusApplied(1);
    String scrape = metrics.scrape() + trainerScrape() + assemblerScrape(work) + String.join(" \n", ConsoleMetrics.NAMES) + " \n";

    // The Flink jobs are selected by name as Flink's reporter writes it ("-" becomes "_").
    java.util.Set<String> jobs = new java.util.TreeSet<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("job_name=\"([^\"]+)\"").matcher(String.join("\n", GrafanaDashboard.queries()));
    while (m.find()) jobs.add(m.group(1));
    assertThat(jobs).containsExactlyInAnyOrder(dev.attune.streams.scoring.ScoringJob.JOB_NAME.replace('-', '_'),
        dev.attune.streams.mining.PreferenceMiningJob.JOB_NAME.replace('-', '_'));
    assertThat(GrafanaDashboard.metricNames("attune_")).isNotEmpty()
        .allSatisfy(name -> assertThat(scrape.contains(name + "{") || scrape.contains(name + " ")).as("%s in %s", name, scrape).isTrue());
  }

  private static String trainerScrape() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    TrainerMetrics trainer = new TrainerMetrics(registry);
    trainer.onStep(0, List.of("e1", "e2"), 1.5);
    trainer.onStep(1, List.of("e3"), Double.NaN);
    AvroCodec.trust(ModelVersion.getClassSchema());
    trainer.accept(ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(1).setName("retriever-v1").setArtifactUri("file:///m")
        .setCreatedAtMs(1_000).setStatus(ModelStatus.PROMOTED).setMetrics(Map.of("heldout.llm_utility@5", 0.7, "serving.heldout.llm_utility@5", 0.6)).build());
    String scrape = scrape(registry);
    assertThat(scrape).contains("attune_trainer_steps_total 1.0", "attune_trainer_skipped_updates_total 1.0", "attune_trainer_examples_total 3.0",
        "attune_trainer_decisions_total{kind=\"RETRIEVER\",status=\"PROMOTED\"} 1.0",
        "attune_trainer_last_decision_measure{measure=\"heldout.llm_utility@5\",model=\"serving\"} 0.6");
    return scrape;
  }

  /** The assembler's metrics over a Kafka Streams instance that is built (its clients made) but not started. */
  private static String assemblerScrape(Path work) throws Exception {
    Properties props = new Properties();
    props.put("application.id", "dashboard-test");
    props.put("bootstrap.servers", "127.0.0.1:9");
    props.put("state.dir", work.toString());
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("in").to("out");
    try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
      PrometheusRegistry registry = new PrometheusRegistry();
      AssemblerMetrics.register(streams, registry);
      String scrape = scrape(registry);
      assertThat(scrape).contains("attune_assembler_running 0.0");
      return scrape;
    }
  }

  private static String scrape(PrometheusRegistry registry) throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}

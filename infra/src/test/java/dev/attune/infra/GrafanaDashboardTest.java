package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.attune.serving.IndexManager;
import dev.attune.serving.api.ServingMetrics;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's panels each query something, and every serving metric they name is one serving
 * exposes (its registry scraped); the Flink jobs' names are checked against a live scrape of the
 * scoring job in {@code ScoringIT}.
 */
class GrafanaDashboardTest {
  @Test
  void every_panel_queries_metrics_serving_exposes() throws Exception {
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
    String scrape = metrics.scrape();

    // The Flink jobs are selected by name as Flink's reporter writes it ("-" becomes "_").
    java.util.Set<String> jobs = new java.util.TreeSet<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("job_name=\"([^\"]+)\"").matcher(String.join("\n", GrafanaDashboard.queries()));
    while (m.find()) jobs.add(m.group(1));
    assertThat(jobs).containsExactlyInAnyOrder(dev.attune.streams.scoring.ScoringJob.JOB_NAME.replace('-', '_'),
        dev.attune.streams.mining.PreferenceMiningJob.JOB_NAME.replace('-', '_'));
    assertThat(GrafanaDashboard.metricNames("attune_")).isNotEmpty()
        .allSatisfy(name -> assertThat(scrape.contains(name + "{") || scrape.contains(name + " ")).as("%s in %s", name, scrape).isTrue());
  }
}

package dev.attune.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The checked-in Grafana dashboard, read as its tests need it: its queries and the metric names they use. */
final class GrafanaDashboard {
  static final Path FILE = Path.of("grafana", "attune-dashboard.json");
  /** A metric name: not a quoted label value such as {@code job_name="attune_llm_scoring"}. */
  private static final Pattern METRIC = Pattern.compile("(?<![\"\\w])((?:attune|flink)_[A-Za-z0-9_]+)\\b");

  private GrafanaDashboard() {}

  static JsonNode read() throws IOException {
    return new ObjectMapper().readTree(FILE.toFile());
  }

  /** Every query of every panel. */
  static List<String> queries() throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode panel : read().path("panels")) for (JsonNode t : panel.path("targets")) out.add(t.path("expr").asText());
    return out;
  }

  /** The metric names the queries use whose name starts with {@code prefix}. */
  static Set<String> metricNames(String prefix) throws IOException {
    Set<String> names = new TreeSet<>();
    for (String q : queries()) {
      Matcher m = METRIC.matcher(q);
      while (m.find()) if (m.group(1).startsWith(prefix)) names.add(m.group(1));
    }
    return names;
  }
}

package dev.attune.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What serving says about itself, asked over its public API: {@code /v1/version}, {@code /v1/swaps}
 * (with the admin token when it has one) and {@code /metrics} (request counts by status, retrieve
 * latency quantiles from its histogram, failed swaps).
 */
final class ServingClient {
  /** One look at serving; {@code error} says why parts are missing when it could not be reached. */
  record View(JsonNode version, JsonNode swaps, Map<String, Long> requestsByStatus, double retrieveP50, double retrieveP99,
      long swapFailures, String error) {}

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final ObjectMapper JSON = new ObjectMapper();
  private final URI base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  ServingClient(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  URI base() {
    return base;
  }

  View view() {
    try {
      JsonNode version = JSON.readTree(get("/v1/version"));
      JsonNode swaps = JSON.readTree(get("/v1/swaps"));
      Map<String, Long> byStatus = new TreeMap<>();
      Map<Double, Double> buckets = new TreeMap<>();
      double failures = 0;
      for (String line : get("/metrics").split("\n")) {
        Matcher m = SAMPLE.matcher(line);
        if (line.startsWith("#") || !m.find()) continue;
        Map<String, String> labels = labels(m.group(2));
        double value = Double.parseDouble(m.group(3));
        switch (m.group(1)) {
          case "attune_requests_total" -> byStatus.merge(labels.get("status"), (long) value, Long::sum);
          case "attune_request_seconds_bucket" -> {
            if ("/v1/retrieve".equals(labels.get("endpoint"))) buckets.put(bound(labels.get("le")), value);
          }
          case "attune_swap_failures_total" -> failures = value;
          default -> { }
        }
      }
      return new View(version, swaps, byStatus, quantile(buckets, 0.5), quantile(buckets, 0.99), (long) failures, null);
    } catch (IOException | RuntimeException e) {
      return new View(null, null, Map.of(), Double.NaN, Double.NaN, 0, "serving at " + base + " did not answer: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new View(null, null, Map.of(), Double.NaN, Double.NaN, 0, "interrupted");
    }
  }

  private String get(String path) throws IOException, InterruptedException {
    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).GET();
    if (token != null) r.header("Authorization", "Bearer " + token);
    HttpResponse<String> response = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) throw new IOException(path + " answered " + response.statusCode() + ": " + response.body());
    return response.body();
  }

  private static Map<String, String> labels(String block) {
    Map<String, String> out = new TreeMap<>();
    if (block == null) return out;
    Matcher m = LABEL.matcher(block);
    while (m.find()) out.put(m.group(1), m.group(2));
    return out;
  }

  private static double bound(String le) {
    return "+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  /**
   * The {@code q} quantile of a cumulative histogram, interpolated linearly inside its bucket as
   * Prometheus' histogram_quantile does; NaN with no observations.
   */
  static double quantile(Map<Double, Double> cumulative, double q) {
    double total = cumulative.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
    if (total <= 0) return Double.NaN;
    double rank = q * total;
    double lower = 0;
    double below = 0;
    for (var e : cumulative.entrySet()) {
      if (e.getValue() >= rank) {
        if (e.getKey().isInfinite()) return lower;
        double inBucket = e.getValue() - below;
        return inBucket <= 0 ? e.getKey() : lower + (e.getKey() - lower) * (rank - below) / inBucket;
      }
      lower = e.getKey();
      below = e.getValue();
    }
    return lower;
  }
}

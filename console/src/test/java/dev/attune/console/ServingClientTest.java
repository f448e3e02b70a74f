package dev.attune.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ServingClientTest {
  @Test
  void quantiles_interpolate_inside_the_bucket_as_prometheus_does() {
    Map<Double, Double> cumulative = new TreeMap<>(Map.of(0.01, 50.0, 0.05, 90.0, 0.1, 100.0, Double.POSITIVE_INFINITY, 100.0));
    assertThat(ServingClient.quantile(cumulative, 0.5)).isCloseTo(0.01, within(1e-9));
    assertThat(ServingClient.quantile(cumulative, 0.7)).isCloseTo(0.03, within(1e-9));
    assertThat(ServingClient.quantile(cumulative, 0.99)).isCloseTo(0.095, within(1e-9));
    assertThat(ServingClient.quantile(Map.of(Double.POSITIVE_INFINITY, 0.0), 0.5)).isNaN();
  }
}

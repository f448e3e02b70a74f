package dev.attune.console;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import java.net.URI;
import java.time.Duration;

/**
 * What the console reads and whom it lets act.
 *
 * @param serving the serving API it shows (version, swaps, request metrics)
 * @param adminToken the serving API's bearer token: the console calls serving's {@code /v1/} with
 *     it, and promote/rollback need it from the operator; null = read-only (actions refused)
 * @param sampleEvery how often topic sizes and consumer lags are sampled
 * @param keepSamples samples kept for the plots (at 5 s, 720 = the last hour)
 */
public record ConsoleConfig(KafkaSettings kafka, Topics topics, URI serving, String adminToken, Duration sampleEvery, int keepSamples) {
  public ConsoleConfig {
    if (adminToken != null && adminToken.isBlank()) adminToken = null;
    if (sampleEvery.isNegative() || sampleEvery.isZero()) throw new IllegalArgumentException("sampleEvery must be positive: " + sampleEvery);
    if (keepSamples < 2) throw new IllegalArgumentException("keepSamples must be at least 2: " + keepSamples);
  }

  public static ConsoleConfig of(KafkaSettings kafka, Topics topics, URI serving, String adminToken) {
    return new ConsoleConfig(kafka, topics, serving, adminToken, Duration.ofSeconds(5), 720);
  }

  public ConsoleConfig withSampleEvery(Duration every) {
    return new ConsoleConfig(kafka, topics, serving, adminToken, every, keepSamples);
  }

  public boolean readOnly() {
    return adminToken == null;
  }
}

package dev.attune.streams;

import java.io.Serializable;
import java.time.Duration;

/**
 * How a stage restarts its failed processing (a Kafka Streams thread, a Flink job) before it gives
 * up: at most {@code attempts} times in a row, waiting {@code initialBackoff}, doubling up to {@code
 * maxBackoff}. A stage that gives up ends its process non-zero, so an orchestrator sees it; it never
 * stays alive doing nothing.
 */
public record Restarts(int attempts, Duration initialBackoff, Duration maxBackoff) implements Serializable {
  public Restarts {
    if (attempts < 0) throw new IllegalArgumentException("attempts (" + attempts + ") must be >= 0");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("backoff " + initialBackoff + ".." + maxBackoff + " must be >= 0 and ordered");
    }
  }

  /** 8 attempts, 1 s doubling to 60 s: about three minutes, longer than a broker restart. */
  public static Restarts defaults() {
    return new Restarts(8, Duration.ofSeconds(1), Duration.ofSeconds(60));
  }

  /** The wait before restart number {@code attempt} (1-based). */
  public Duration backoff(int attempt) {
    long ms = initialBackoff.toMillis() << Math.min(attempt - 1, 30);
    return Duration.ofMillis(Math.min(Math.max(ms, 0), maxBackoff.toMillis()));
  }
}

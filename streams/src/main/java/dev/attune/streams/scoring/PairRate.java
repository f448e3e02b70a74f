package dev.attune.streams.scoring;

/**
 * A token bucket over pairs: {@code rate} tokens a second, at most one second's worth held, the last
 * {@code reservedShare} of the bucket only for uncertain requests. A request takes all of its pairs
 * or none; one larger than a second's budget passes when the bucket is full and leaves it in debt,
 * so the long-run rate holds either way. Not thread-safe: one per task, used from the task thread.
 */
final class PairRate {
  private final double rate;
  private final double reserved;
  private double tokens;
  private long lastNanos;

  /** {@code rate} 0 = no cap. */
  PairRate(double rate, double reservedShare, long nowNanos) {
    this.rate = rate;
    this.reserved = rate * reservedShare;
    this.tokens = rate;
    this.lastNanos = nowNanos;
  }

  /** Takes {@code pairs} tokens if the request fits, else takes none. */
  boolean tryTake(int pairs, boolean uncertain, long nowNanos) {
    if (rate == 0 || pairs == 0) return true;
    tokens = Math.min(rate, tokens + (nowNanos - lastNanos) / 1e9 * rate);
    lastNanos = nowNanos;
    double usable = uncertain ? tokens : tokens - reserved;
    if (Math.min(pairs, rate - (uncertain ? 0 : reserved)) > usable) return false;
    tokens -= pairs;
    return true;
  }
}

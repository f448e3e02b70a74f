package dev.attune.streams.scoring;

import java.io.Serializable;

/**
 * What the scoring stage may spend, and on what.
 *
 * @param maxPairsPerSecond (question, passage) pairs sent to the LLM per second at most, over the
 *     whole job (each of {@code p} parallel tasks gets 1/p); 0 = no cap. Bursts up to one second's
 *     worth pass; a request that does not fit is skipped, not queued, so a burst cannot build a
 *     backlog the LLM never catches up with.
 * @param sampleFraction share of requests scored, chosen by a hash of the request id (so a request
 *     is in or out wherever it is processed); uncertain requests are always in
 * @param uncertainMargin a request whose retrieval's top two scores are less than this apart is
 *     uncertain: its preference is worth the most to the trainer. Uncertain requests are always
 *     sampled, and the last {@code reservedShare} of the second's budget is kept for them
 * @param reservedShare share of the per-second budget only uncertain requests may use, in [0, 1)
 * @param cacheEntries pairs whose score is remembered per task (by question, passage text, answer and
 *     LLM): a pair scored within {@code cacheTtlMs} is not sent again; 0 = no cache
 * @param cacheTtlMs how long a remembered score is reused
 */
public record ScoringBudget(double maxPairsPerSecond, double sampleFraction, double uncertainMargin, double reservedShare,
    int cacheEntries, long cacheTtlMs) implements Serializable {
  public ScoringBudget {
    if (!(maxPairsPerSecond >= 0) || Double.isInfinite(maxPairsPerSecond)) {
      throw new IllegalArgumentException("maxPairsPerSecond (" + maxPairsPerSecond + ") must be >= 0 (0 = no cap)");
    }
    if (!(sampleFraction > 0 && sampleFraction <= 1)) throw new IllegalArgumentException("sampleFraction (" + sampleFraction + ") must be in (0, 1]");
    if (!(uncertainMargin >= 0)) throw new IllegalArgumentException("uncertainMargin (" + uncertainMargin + ") must be >= 0");
    if (!(reservedShare >= 0 && reservedShare < 1)) throw new IllegalArgumentException("reservedShare (" + reservedShare + ") must be in [0, 1)");
    if (cacheEntries < 0) throw new IllegalArgumentException("cacheEntries (" + cacheEntries + ") must be >= 0");
    if (cacheTtlMs < 0) throw new IllegalArgumentException("cacheTtlMs (" + cacheTtlMs + ") must be >= 0");
  }

  /** No cap, every request, uncertain below a margin of 0.02, 100,000 cached pairs for an hour. */
  public static ScoringBudget unlimited() {
    return new ScoringBudget(0, 1.0, 0.02, 0.25, 100_000, 3_600_000);
  }

  public ScoringBudget withMaxPairsPerSecond(double pairs) {
    return new ScoringBudget(pairs, sampleFraction, uncertainMargin, reservedShare, cacheEntries, cacheTtlMs);
  }

  public ScoringBudget withSampleFraction(double fraction) {
    return new ScoringBudget(maxPairsPerSecond, fraction, uncertainMargin, reservedShare, cacheEntries, cacheTtlMs);
  }

  public ScoringBudget withCache(int entries, long ttlMs) {
    return new ScoringBudget(maxPairsPerSecond, sampleFraction, uncertainMargin, reservedShare, entries, ttlMs);
  }

  /** Whether a request is scored at all: uncertain ones always, the others by a hash of the request id. */
  public boolean samples(String requestId, boolean uncertain) {
    if (uncertain || sampleFraction >= 1) return true;
    // The id's hash, spread (murmur's finaliser) and mapped to [0, 1).
    long h = requestId.hashCode() * 0x9E3779B97F4A7C15L;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53 < sampleFraction;
  }
}

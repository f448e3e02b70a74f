package dev.attune.streams.mining;

import java.io.Serializable;

/**
 * Mining rules (AAR positives, LLM-dispreferred hard negatives).
 *
 * @param positivesTopK how many of the LLM's best-scored passages become positives (AAR used 2 of 10)
 * @param hardNegativeMaxRank only passages the retriever ranked at or above this are hard negatives
 * @param hardNegativesPerQuery at most this many hard negatives per example
 * @param hardNegativeMargin a hard negative's teacher score is at least this far below the K-th best
 * @param passageWaitMs how long an episode waits for passages the corpus does not hold yet
 * @param retryIntervalMs how often a waiting episode is retried
 */
public record MiningConfig(
    int positivesTopK,
    int hardNegativeMaxRank,
    int hardNegativesPerQuery,
    double hardNegativeMargin,
    long passageWaitMs,
    long retryIntervalMs)
    implements Serializable {

  public MiningConfig {
    if (positivesTopK < 0) throw new IllegalArgumentException("positivesTopK (" + positivesTopK + ") must be >= 0");
    if (hardNegativeMaxRank < 1) throw new IllegalArgumentException("hardNegativeMaxRank (" + hardNegativeMaxRank + ") must be >= 1");
    if (hardNegativesPerQuery < 0) throw new IllegalArgumentException("hardNegativesPerQuery (" + hardNegativesPerQuery + ") must be >= 0");
    if (!(hardNegativeMargin >= 0)) throw new IllegalArgumentException("hardNegativeMargin (" + hardNegativeMargin + ") must be >= 0");
    if (retryIntervalMs < 1) throw new IllegalArgumentException("retryIntervalMs (" + retryIntervalMs + ") must be >= 1");
  }

  public static MiningConfig defaults() {
    return new MiningConfig(2, 10, 4, 1.0, 30_000, 1_000);
  }
}

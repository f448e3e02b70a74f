package dev.attune.streams.mining.rules;

import java.io.Serializable;

/**
 * How hard negatives are chosen. Both kinds pass the same false-negative guard: never a positive,
 * never human-labeled, never a passage containing a known answer string.
 *
 * @param llmCount at most this many LLM-dispreferred negatives per example
 * @param llmRanks LLM-dispreferred negatives come from these retrieval ranks (best-ranked first)
 * @param llmMargin an LLM-dispreferred negative's teacher score is at least this far below the K-th
 *     best, in the signal's own units
 * @param sampledCount at most this many ANCE-style negatives, sampled uniformly from {@code
 *     sampledRanks} with a seed derived from the request id (so re-mining gives the same sample)
 * @param sampledRanks the retriever ranks ANCE-style negatives are sampled from (AAR: top 200)
 */
public record NegativeRules(
    int llmCount, RankRange llmRanks, double llmMargin, int sampledCount, RankRange sampledRanks)
    implements Serializable {

  public NegativeRules {
    if (llmCount < 0) throw new IllegalArgumentException("llmCount (" + llmCount + ") must be >= 0");
    if (!(llmMargin >= 0)) throw new IllegalArgumentException("llmMargin (" + llmMargin + ") must be >= 0");
    if (sampledCount < 0) throw new IllegalArgumentException("sampledCount (" + sampledCount + ") must be >= 0");
  }

  public static NegativeRules defaults() {
    return new NegativeRules(4, new RankRange(1, 10), 1.0, 3, new RankRange(1, 200));
  }
}

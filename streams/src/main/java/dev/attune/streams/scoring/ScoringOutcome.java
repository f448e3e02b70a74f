package dev.attune.streams.scoring;

import dev.attune.streams.mining.operators.KeyedBytes;

/**
 * What became of a task: LLM feedback to publish, a dead letter, or nothing (skipped over budget),
 * with what it spent. Counted downstream ({@link OutcomeRouter}): Flink's async functions cannot
 * keep accumulators.
 */
public class ScoringOutcome {
  public KeyedBytes feedback;
  public KeyedBytes deadLetter;
  public boolean overBudget;
  /** Pairs sent to the LLM for this task. */
  public int pairsSent;
  /** Pairs whose score came from the cache. */
  public int pairsCached;

  public ScoringOutcome() {}

  static ScoringOutcome feedback(KeyedBytes record, int sent, int cached) {
    return of(record, null, sent, cached);
  }

  static ScoringOutcome deadLetter(KeyedBytes record, int sent, int cached) {
    return of(null, record, sent, cached);
  }

  private static ScoringOutcome of(KeyedBytes feedback, KeyedBytes deadLetter, int sent, int cached) {
    ScoringOutcome o = new ScoringOutcome();
    o.feedback = feedback;
    o.deadLetter = deadLetter;
    o.pairsSent = sent;
    o.pairsCached = cached;
    return o;
  }

  static ScoringOutcome skipped() {
    ScoringOutcome o = new ScoringOutcome();
    o.overBudget = true;
    return o;
  }
}

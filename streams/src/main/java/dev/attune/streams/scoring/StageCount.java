package dev.attune.streams.scoring;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;

/**
 * One of the stage's counts, kept twice: as a Flink metric (for the metric reporters and the web UI)
 * and as an accumulator of the same name (the job client reads it: {@code attune score}'s summary,
 * the tests' accounting). Counted from the task thread only.
 */
final class StageCount {
  private final Counter metric;
  private final LongCounter total;

  StageCount(RuntimeContext context, String name) {
    this.metric = context.getMetricGroup().counter(name);
    String accumulator = ScoringJob.ACCUMULATOR_PREFIX + name;
    // A function opened again in the same task (test harnesses do) keeps counting on the same accumulator.
    Object known = context.getAccumulator(accumulator);
    if (known instanceof LongCounter existing) {
      total = existing;
    } else {
      total = new LongCounter();
      context.addAccumulator(accumulator, total);
    }
  }

  void add(long n) {
    metric.inc(n);
    total.add(n);
  }
}

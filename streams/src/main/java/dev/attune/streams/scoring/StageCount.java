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
  private final LongCounter total = new LongCounter();

  StageCount(RuntimeContext context, String name) {
    this.metric = context.getMetricGroup().counter(name);
    context.addAccumulator(ScoringJob.ACCUMULATOR_PREFIX + name, total);
  }

  void add(long n) {
    metric.inc(n);
    total.add(n);
  }
}

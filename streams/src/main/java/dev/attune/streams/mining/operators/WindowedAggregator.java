package dev.attune.streams.mining.operators;

import dev.attune.streams.types.CompactTypes;
import java.io.Serializable;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Aggregates a key's inputs over a processing-time window that opens with the key's first input, then
 * emits the aggregate and starts over. A window that is full ({@link Aggregation#full}) is emitted at
 * once and the input opens the next one, which ends with the same timer: state and records stay
 * bounded however hot a key is. A bounded run also emits every open window at end of input, so a
 * backfill loses nothing. {@link Aggregation} says what is aggregated.
 */
public final class WindowedAggregator<I, A, O> extends KeyedProcessFunction<String, I, O> {

  /** What a window holds and how it is emitted. */
  public interface Aggregation<I, A, O> extends Serializable {
    A start(I first, long nowMs);

    void add(A accumulator, I input);

    O emit(String key, A accumulator, long nowMs);

    /** Whether {@code next} must go to a new window, the accumulator having no room for it. */
    default boolean full(A accumulator, I next) {
      return false;
    }
  }

  private final Aggregation<I, A, O> aggregation;
  private final Class<A> accumulatorType;
  private final long windowMs;
  private final boolean bounded;
  private transient ValueState<A> open;

  public WindowedAggregator(Aggregation<I, A, O> aggregation, Class<A> accumulatorType, long windowMs, boolean bounded) {
    this.aggregation = aggregation;
    this.accumulatorType = accumulatorType;
    this.windowMs = windowMs;
    this.bounded = bounded;
  }

  @Override
  public void open(OpenContext openContext) {
    open = getRuntimeContext().getState(new ValueStateDescriptor<>("window", CompactTypes.of(accumulatorType)));
  }

  @Override
  public void processElement(I input, Context ctx, Collector<O> out) throws Exception {
    A acc = open.value();
    long now = ctx.timerService().currentProcessingTime();
    if (acc != null && aggregation.full(acc, input)) {
      out.collect(aggregation.emit(ctx.getCurrentKey(), acc, now));
      acc = aggregation.start(input, now);
    } else if (acc == null) {
      acc = aggregation.start(input, now);
      ctx.timerService().registerProcessingTimeTimer(now + windowMs);
      if (bounded) ctx.timerService().registerEventTimeTimer(PreferenceMiner.END_OF_INPUT);
    }
    aggregation.add(acc, input);
    open.update(acc);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<O> out) throws Exception {
    A acc = open.value();
    if (acc == null) return;
    out.collect(aggregation.emit(ctx.getCurrentKey(), acc, ctx.timerService().currentProcessingTime()));
    open.clear();
  }
}

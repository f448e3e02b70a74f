package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.types.CompactTypes;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The corpus as keyed state, by passage id (the mining and the scoring job's): each task holds its share of the passages, not
 * all of them, so the corpus can grow with the job's parallelism. Input 1 is the corpus topic's
 * changes (deletions kept as tombstones: a deleted passage is answered as deleted, not waited for);
 * input 2 the episodes' {@link PassageLookup}s. A lookup for a passage the corpus holds is answered
 * at once; one for a passage never seen waits until it arrives, at most {@code passageWaitMs}, then
 * is answered as unknown. In a bounded run (backfill) the end of input answers every waiting lookup.
 */
public final class CorpusLookup extends KeyedCoProcessFunction<String, CorpusUpdate, PassageLookup, PassageAnswer> {
  private final long passageWaitMs;
  private final boolean bounded;
  private transient ValueState<CorpusUpdate> passage;
  private transient ListState<Waiting> waiting;

  /** A lookup waiting for its passage since {@code sinceMs} (processing time). */
  public static class Waiting {
    public String requestId;
    public long sinceMs;

    public Waiting() {}

    Waiting(String requestId, long sinceMs) {
      this.requestId = requestId;
      this.sinceMs = sinceMs;
    }
  }

  public CorpusLookup(long passageWaitMs, boolean bounded) {
    this.passageWaitMs = passageWaitMs;
    this.bounded = bounded;
  }

  @Override
  public void open(OpenContext openContext) {
    passage = getRuntimeContext().getState(new ValueStateDescriptor<>("passage", CompactTypes.of(CorpusUpdate.class)));
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-lookups", CompactTypes.of(Waiting.class)));
  }

  @Override
  public void processElement1(CorpusUpdate update, Context ctx, Collector<PassageAnswer> out) throws Exception {
    passage.update(update);
    for (Waiting w : waiting.get()) out.collect(new PassageAnswer(w.requestId, update.passageId, update));
    waiting.clear();
  }

  @Override
  public void processElement2(PassageLookup lookup, Context ctx, Collector<PassageAnswer> out) throws Exception {
    CorpusUpdate known = passage.value();
    if (known != null) {
      out.collect(new PassageAnswer(lookup.requestId, lookup.passageId, known));
      return;
    }
    long now = ctx.timerService().currentProcessingTime();
    waiting.add(new Waiting(lookup.requestId, now));
    ctx.timerService().registerProcessingTimeTimer(now + passageWaitMs);
    if (bounded) ctx.timerService().registerEventTimeTimer(PreferenceMiner.END_OF_INPUT);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<PassageAnswer> out) throws Exception {
    boolean endOfInput = ctx.timeDomain() == TimeDomain.EVENT_TIME;
    long now = ctx.timerService().currentProcessingTime();
    List<Waiting> still = new ArrayList<>();
    for (Waiting w : waiting.get()) {
      if (endOfInput || now - w.sinceMs >= passageWaitMs) out.collect(new PassageAnswer(w.requestId, ctx.getCurrentKey(), null));
      else still.add(w);
    }
    waiting.update(still);
  }
}

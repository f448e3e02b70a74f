package dev.attune.streams.scoring;

import dev.attune.schemas.DeadLetterReason;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.PassageAnswer;
import dev.attune.streams.types.CompactTypes;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by request id: gathers the corpus's answers for a request's passages and sends each of its
 * answers on as a {@link ScoringTask} once every passage is answered, with the texts of those the
 * corpus holds (a deleted or unknown passage is left out; a request with none left is dead-lettered
 * UNKNOWN_PASSAGE). The corpus's answers may come before or after the request (they travel another
 * path), so each passage counts the lookups still to be answered; a text goes as soon as no lookup
 * is outstanding and no waiting request needs it, so a checkpoint holds the requests in flight, not
 * every text of the last {@code requestWaitMs}. {@code requestWaitMs} after the first event all
 * that is left goes (a backstop: the corpus answers every lookup within {@code passageWaitMs}).
 */
public final class PromptAssembly extends KeyedCoProcessFunction<String, ScoringRequest, PassageAnswer, ScoringTask> {
  private final ScoringConfig config;
  private transient MapState<String, Slot> passages;
  private transient ListState<ScoringRequest> waiting;
  private transient ValueState<Long> expiry;

  /** A passage of the request: its text once answered (null: deleted or unknown), and lookups not yet answered. */
  public static class Slot {
    public boolean answered;
    public String text;
    public int outstanding;

    public Slot() {}
  }

  public PromptAssembly(ScoringConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    passages = getRuntimeContext().getMapState(new MapStateDescriptor<>("passages", CompactTypes.KEY, CompactTypes.of(Slot.class)));
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-requests", CompactTypes.of(ScoringRequest.class)));
    expiry = getRuntimeContext().getState(new ValueStateDescriptor<>("expiry", Types.LONG));
  }

  @Override
  public void processElement1(ScoringRequest request, Context ctx, Collector<ScoringTask> out) throws Exception {
    expireLater(ctx);
    for (String id : request.passageIds) {
      Slot slot = slot(id);
      slot.outstanding++;
      passages.put(id, slot);
    }
    List<ScoringRequest> still = new ArrayList<>();
    waiting.get().forEach(still::add);
    if (!emitIfComplete(request, ctx, out)) still.add(request);
    waiting.update(still);
    release(still);
  }

  @Override
  public void processElement2(PassageAnswer answer, Context ctx, Collector<ScoringTask> out) throws Exception {
    expireLater(ctx);
    Slot slot = slot(answer.passageId);
    slot.outstanding--;
    slot.answered = true;
    slot.text = answer.entry != null && !answer.entry.deleted ? answer.entry.text() : null;
    passages.put(answer.passageId, slot);
    List<ScoringRequest> still = new ArrayList<>();
    for (ScoringRequest r : waiting.get()) {
      if (!emitIfComplete(r, ctx, out)) still.add(r);
    }
    waiting.update(still);
    release(still);
  }

  private Slot slot(String passageId) throws Exception {
    Slot slot = passages.get(passageId);
    return slot == null ? new Slot() : slot;
  }

  /**
   * Drops the passages whose lookups are all answered and that no waiting request needs. A count
   * below zero is an answer that overtook its request: kept for it.
   */
  private void release(List<ScoringRequest> still) throws Exception {
    List<String> done = new ArrayList<>();
    for (var e : passages.entries()) {
      if (e.getValue().outstanding == 0 && still.stream().noneMatch(r -> r.passageIds.contains(e.getKey()))) done.add(e.getKey());
    }
    for (String id : done) passages.remove(id);
  }

  private boolean emitIfComplete(ScoringRequest request, Context ctx, Collector<ScoringTask> out) throws Exception {
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (String id : request.passageIds) {
      Slot slot = passages.get(id);
      if (slot == null || !slot.answered) return false;
      if (slot.text != null && !slot.text.isEmpty()) {
        ids.add(id);
        texts.add(slot.text);
      }
    }
    for (ScoringRequest.Answer a : request.answers) {
      if (ids.isEmpty()) {
        ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(RequestJoin.STAGE, a.record, DeadLetterReason.UNKNOWN_PASSAGE,
            "the corpus holds none of request " + request.requestId + "'s passages " + request.passageIds));
      } else {
        out.collect(new ScoringTask(request, a, ids, texts));
      }
    }
    return true;
  }

  private void expireLater(Context ctx) throws Exception {
    if (expiry.value() != null) return;
    long at = ctx.timerService().currentProcessingTime() + config.requestWaitMs();
    ctx.timerService().registerProcessingTimeTimer(at);
    expiry.update(at);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoringTask> out) throws Exception {
    for (ScoringRequest r : waiting.get()) {
      for (ScoringRequest.Answer a : r.answers) {
        ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(RequestJoin.STAGE, a.record, DeadLetterReason.UNKNOWN_PASSAGE,
            "request " + r.requestId + "'s passages were not all answered within " + config.requestWaitMs() + " ms"));
      }
    }
    waiting.clear();
    passages.clear();
    expiry.clear();
  }
}

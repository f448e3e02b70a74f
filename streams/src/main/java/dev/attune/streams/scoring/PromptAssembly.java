package dev.attune.streams.scoring;

import dev.attune.schemas.DeadLetterReason;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.PassageAnswer;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by request id: gathers the corpus's answers for a request's passages and sends each of its
 * {@link ScoringRequest}s on as a {@link ScoringTask} once every passage is answered, with the texts
 * of those the corpus holds (a deleted or unknown passage is left out; a request with none left is
 * dead-lettered UNKNOWN_PASSAGE). Once no request waits the texts are dropped: the join looks them
 * up again for an answer that comes later, and the state a checkpoint writes stays the requests in
 * flight, not every request of the last {@code requestWaitMs}.
 */
public final class PromptAssembly extends KeyedCoProcessFunction<String, ScoringRequest, PassageAnswer, ScoringTask> {
  /** Stands for a passage the corpus answered as deleted or unknown. */
  private static final String ABSENT = "";
  private final ScoringConfig config;
  private transient MapState<String, String> texts;
  private transient ListState<ScoringRequest> waiting;
  private transient ValueState<Long> expiry;

  public PromptAssembly(ScoringConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    texts = getRuntimeContext().getMapState(new MapStateDescriptor<>("passage-texts", Types.STRING, Types.STRING));
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-requests", TypeInformation.of(ScoringRequest.class)));
    expiry = getRuntimeContext().getState(new ValueStateDescriptor<>("expiry", Types.LONG));
  }

  @Override
  public void processElement1(ScoringRequest request, Context ctx, Collector<ScoringTask> out) throws Exception {
    expireLater(ctx);
    if (!emitIfComplete(request, ctx, out)) waiting.add(request);
  }

  @Override
  public void processElement2(PassageAnswer answer, Context ctx, Collector<ScoringTask> out) throws Exception {
    expireLater(ctx);
    boolean present = answer.entry != null && !answer.entry.deleted && answer.entry.text != null;
    texts.put(answer.passageId, present ? answer.entry.text : ABSENT);
    List<ScoringRequest> before = new ArrayList<>();
    waiting.get().forEach(before::add);
    // An answer that overtook its request is kept for it (until the expiry at most).
    if (before.isEmpty()) return;
    List<ScoringRequest> still = new ArrayList<>();
    for (ScoringRequest r : before) {
      if (!emitIfComplete(r, ctx, out)) still.add(r);
    }
    waiting.update(still);
    // The last waiting request served: its texts go.
    if (still.isEmpty()) texts.clear();
  }

  private boolean emitIfComplete(ScoringRequest request, Context ctx, Collector<ScoringTask> out) throws Exception {
    List<String> ids = new ArrayList<>();
    List<String> known = new ArrayList<>();
    for (String id : request.passageIds) {
      String text = texts.get(id);
      if (text == null) return false;
      if (!text.equals(ABSENT)) {
        ids.add(id);
        known.add(text);
      }
    }
    if (ids.isEmpty()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(RequestJoin.STAGE, request.answerRecord, DeadLetterReason.UNKNOWN_PASSAGE,
          "the corpus holds none of request " + request.requestId + "'s passages " + request.passageIds));
    } else {
      out.collect(new ScoringTask(request, ids, known));
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
    // The corpus answers every lookup within passageWaitMs <= requestWaitMs, so nothing should wait
    // here now; texts left are answers to lookups whose request was served from an earlier round.
    for (ScoringRequest r : waiting.get()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(RequestJoin.STAGE, r.answerRecord, DeadLetterReason.UNKNOWN_PASSAGE,
          "request " + r.requestId + "'s passages were not all answered within " + config.requestWaitMs() + " ms"));
    }
    waiting.clear();
    texts.clear();
    expiry.clear();
  }
}

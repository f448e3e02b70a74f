package dev.attune.streams.mining;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Mines episodes (keyed by request id) against the broadcast corpus. An episode that names a passage
 * the corpus does not hold yet waits, retried on a timer, for at most {@code passageWaitMs}; then it
 * is dead-lettered as {@code UNKNOWN_PASSAGE}.
 */
public final class PreferenceMiner extends KeyedBroadcastProcessFunction<String, RawRecord, CorpusUpdate, KeyedBytes> {
  public static final MapStateDescriptor<String, CorpusUpdate> CORPUS =
      new MapStateDescriptor<>("corpus", Types.STRING, TypeInformation.of(CorpusUpdate.class));

  private final MiningConfig config;
  private transient ListState<RawRecord> waiting;
  private transient ListState<Long> firstTried;
  private transient AvroCodec<FeedbackEpisode> episodes;
  private transient AvroCodec<TrainingExample> examples;

  public PreferenceMiner(MiningConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-episodes", RawRecord.class));
    firstTried = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-since", Types.LONG));
    episodes = AvroCodec.of(FeedbackEpisode.class);
    examples = AvroCodec.of(TrainingExample.class);
  }

  @Override
  public void processBroadcastElement(CorpusUpdate update, Context ctx, Collector<KeyedBytes> out) throws Exception {
    if (update.deleted) {
      ctx.getBroadcastState(CORPUS).remove(update.passageId);
    } else {
      ctx.getBroadcastState(CORPUS).put(update.passageId, update);
    }
  }

  @Override
  public void processElement(RawRecord raw, ReadOnlyContext ctx, Collector<KeyedBytes> out) throws Exception {
    FeedbackEpisode episode;
    try {
      episode = episodes.decode(raw.value);
    } catch (EventDecodingException e) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, e.reason(), e.getMessage()));
      return;
    }
    if (episode.getCandidates().isEmpty()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.INVALID_FIELD, "episode has no candidates"));
      return;
    }
    long now = ctx.timerService().currentProcessingTime();
    if (!tryMine(raw, episode, ctx.getBroadcastState(CORPUS), ctx, out, false)) {
      waiting.add(raw);
      firstTried.add(now);
      ctx.timerService().registerProcessingTimeTimer(now + config.retryIntervalMs());
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<KeyedBytes> out) throws Exception {
    List<RawRecord> stillWaiting = new ArrayList<>();
    List<Long> since = new ArrayList<>();
    List<Long> started = new ArrayList<>();
    firstTried.get().forEach(started::add);
    int i = 0;
    for (RawRecord raw : waiting.get()) {
      long first = started.get(i++);
      boolean lastTry = timestamp - first >= config.passageWaitMs();
      if (!tryMine(raw, episodes.decode(raw.value), ctx.getBroadcastState(CORPUS), ctx, out, lastTry)) {
        stillWaiting.add(raw);
        since.add(first);
      }
    }
    waiting.update(stillWaiting);
    firstTried.update(since);
    if (!stillWaiting.isEmpty()) {
      ctx.timerService().registerProcessingTimeTimer(timestamp + config.retryIntervalMs());
    }
  }

  /** Returns false when the episode must wait for the corpus; otherwise it was emitted or dead-lettered. */
  private boolean tryMine(
      RawRecord raw,
      FeedbackEpisode episode,
      ReadOnlyBroadcastState<String, CorpusUpdate> corpus,
      ReadOnlyContext ctx,
      Collector<KeyedBytes> out,
      boolean lastTry)
      throws Exception {
    Set<String> needed = PreferenceRules.referencedPassages(episode);
    List<String> unknown = new ArrayList<>();
    for (String id : needed) {
      if (!corpus.contains(id)) unknown.add(id);
    }
    if (!unknown.isEmpty()) {
      if (!lastTry) return false;
      ctx.output(
          DeadLetterOutput.TAG,
          DeadLetterOutput.of(
              raw, DeadLetterReason.UNKNOWN_PASSAGE,
              "corpus holds no passage " + unknown + " after waiting " + config.passageWaitMs() + " ms"));
      return true;
    }
    Map<String, CorpusUpdate> texts = new java.util.HashMap<>();
    for (String id : needed) texts.put(id, corpus.get(id));
    PreferenceRules.Outcome outcome =
        PreferenceRules.mine(episode, texts::get, config, ctx.timerService().currentProcessingTime());
    if (outcome.example() == null) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.NO_PREFERENCE, outcome.rejection()));
    } else {
      out.collect(new KeyedBytes(episode.getRequestId(), examples.encode(outcome.example())));
    }
    return true;
  }
}

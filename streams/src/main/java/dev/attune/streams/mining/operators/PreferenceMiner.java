package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.EpisodePreferences;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceRules;
import dev.attune.streams.mining.rules.SilverSearch;
import dev.attune.streams.mining.rules.TeacherObservation;
import dev.attune.streams.mining.rules.TeacherSignal;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.Violation;
import java.util.Optional;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingExample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Mines episodes (keyed by request id) against the broadcast corpus: one training example per
 * episode on the main output, and on side outputs the BGM silver sequences, the teacher observations
 * for distillation and the per-episode preferences for statistics.
 *
 * <p>The corpus state keeps deletions as tombstones, so a deleted passage is left out of examples
 * while a passage never seen makes the episode wait (retried on a timer) for at most {@code
 * passageWaitMs}, then dead-letter as {@code UNKNOWN_PASSAGE}. In a bounded run (backfill) the end of
 * input gives every waiting episode its last try. A request id already mined (within {@code
 * dedupeRetentionMs}) is dead-lettered as {@code DUPLICATE}: one example per request, ever.
 */
public final class PreferenceMiner extends KeyedBroadcastProcessFunction<String, RawRecord, CorpusUpdate, KeyedBytes> {
  public static final MapStateDescriptor<String, CorpusUpdate> CORPUS =
      new MapStateDescriptor<>("corpus", Types.STRING, TypeInformation.of(CorpusUpdate.class));
  public static final OutputTag<KeyedBytes> SILVER = new OutputTag<>("silver-sequences") {};
  public static final OutputTag<TeacherObservation> TEACHER = new OutputTag<>("teacher-observations") {};
  public static final OutputTag<EpisodePreferences> PREFERENCES = new OutputTag<>("episode-preferences") {};
  /** Event-time timers fire at this only when every input has ended (bounded runs). */
  static final long END_OF_INPUT = Long.MAX_VALUE;

  private final MiningConfig config;
  private final boolean bounded;
  private transient ListState<RawRecord> waiting;
  private transient ListState<Long> firstTried;
  private transient ValueState<Boolean> seen;
  private transient AvroCodec<FeedbackEpisode> episodes;
  private transient AvroCodec<TrainingExample> examples;
  private transient AvroCodec<SilverSequence> silver;
  private transient EventValidator validator;

  public PreferenceMiner(MiningConfig config, boolean bounded) {
    this.config = config;
    this.bounded = bounded;
  }

  @Override
  public void open(OpenContext openContext) {
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-episodes", RawRecord.class));
    firstTried = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-since", Types.LONG));
    ValueStateDescriptor<Boolean> seenDescriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
    seenDescriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(config.dedupeRetentionMs())).build());
    seen = getRuntimeContext().getState(seenDescriptor);
    episodes = AvroCodec.of(FeedbackEpisode.class);
    examples = AvroCodec.of(TrainingExample.class);
    silver = AvroCodec.of(SilverSequence.class);
    validator = new EventValidator(config.limits());
  }

  @Override
  public void processBroadcastElement(CorpusUpdate update, Context ctx, Collector<KeyedBytes> out) throws Exception {
    ctx.getBroadcastState(CORPUS).put(update.passageId, update);
  }

  @Override
  public void processElement(RawRecord raw, ReadOnlyContext ctx, Collector<KeyedBytes> out) throws Exception {
    FeedbackEpisode episode;
    try {
      episode = episodes.decode(raw.value, config.limits().maxRecordBytes());
    } catch (EventDecodingException e) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, e.reason(), e.getMessage()));
      return;
    }
    // Anything can write to the episodes topic: the assembler's checks again, and the key (a null key
    // must not share the state of every other null-keyed record).
    Optional<Violation> invalid = validator.validate(episode)
        .or(() -> EventValidator.keyMatches(raw.keyBytes, episode.getRequestId(), "requestId"));
    if (invalid.isPresent()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, invalid.get().reason(), invalid.get().detail()));
      return;
    }
    if (Boolean.TRUE.equals(seen.value())) {
      ctx.output(
          DeadLetterOutput.TAG,
          DeadLetterOutput.of(raw, DeadLetterReason.DUPLICATE, "request " + episode.getRequestId() + " was already mined"));
      return;
    }
    seen.update(true);
    long now = ctx.timerService().currentProcessingTime();
    if (!tryMine(raw, episode, ctx.getBroadcastState(CORPUS), ctx, out, false)) {
      waiting.add(raw);
      firstTried.add(now);
      ctx.timerService().registerProcessingTimeTimer(now + config.retryIntervalMs());
      if (bounded) ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<KeyedBytes> out) throws Exception {
    boolean endOfInput = ctx.timeDomain() == TimeDomain.EVENT_TIME;
    long now = ctx.timerService().currentProcessingTime();
    List<RawRecord> stillWaiting = new ArrayList<>();
    List<Long> since = new ArrayList<>();
    List<Long> started = new ArrayList<>();
    firstTried.get().forEach(started::add);
    int i = 0;
    for (RawRecord raw : waiting.get()) {
      long first = started.get(i++);
      boolean lastTry = endOfInput || now - first >= config.passageWaitMs();
      if (!tryMine(raw, episodes.decode(raw.value, config.limits().maxRecordBytes()), ctx.getBroadcastState(CORPUS), ctx, out, lastTry)) {
        stillWaiting.add(raw);
        since.add(first);
      }
    }
    waiting.update(stillWaiting);
    firstTried.update(since);
    if (!stillWaiting.isEmpty() && !endOfInput) {
      ctx.timerService().registerProcessingTimeTimer(now + config.retryIntervalMs());
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
    Map<String, CorpusUpdate> state = new HashMap<>();
    List<String> unknown = new ArrayList<>();
    for (String id : needed) {
      CorpusUpdate entry = corpus.get(id);
      if (entry == null) unknown.add(id);
      else state.put(id, entry);
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
    long now = ctx.timerService().currentProcessingTime();
    TeacherSignal signal = TeacherSignal.of(episode, config);
    PreferenceRules.Outcome outcome = PreferenceRules.mine(episode, signal, state::get, config, now);
    if (outcome.example() == null) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.NO_PREFERENCE, outcome.rejection()));
      return true;
    }
    byte[] example = examples.encode(outcome.example());
    if (example.length > config.limits().maxRecordBytes()) {
      // The example carries its passages' texts; one over the broker's limit would fail the sink and the job.
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.OVERSIZED,
          "its training example would be " + example.length + " bytes, over maxRecordBytes " + config.limits().maxRecordBytes()));
      return true;
    }
    out.collect(new KeyedBytes(episode.getRequestId(), example));
    // A flat signal ranks nothing, so it makes no silver label either; it still reaches the teacher distributions.
    for (SilverSequence s : signal.flat() ? List.<SilverSequence>of() : SilverSearch.sequences(episode, signal, state::get, config.silver(), now)) {
      ctx.output(SILVER, new KeyedBytes(episode.getRequestId(), silver.encode(s)));
    }
    if (signal.kind() != null) {
      TeacherObservation.of(episode, signal, state::get).forEach(o -> ctx.output(TEACHER, o));
    }
    ctx.output(PREFERENCES, EpisodePreferences.of(episode, signal, state::get, config.positivesTopK()));
    return true;
  }
}

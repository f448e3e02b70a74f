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
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingExample;
import dev.attune.streams.types.CompactTypes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Mines episodes (keyed by request id) once the corpus has answered for every passage they
 * reference: input 1 is the episodes the {@link EpisodeIntake} let through (with how many passages
 * each asked for, so it is decoded once here, to mine), input 2 the {@link
 * CorpusLookup}'s answers, in either order. One training example per episode on the main output, and
 * on side outputs the BGM silver sequences, the teacher observations for distillation and the
 * per-episode preferences for statistics. A deleted passage is left out of the example; one the
 * corpus still did not hold after {@code passageWaitMs} dead-letters the episode as {@code
 * UNKNOWN_PASSAGE}. Only episodes still waiting for answers are in this operator's state.
 */
public final class PreferenceMiner extends KeyedCoProcessFunction<String, AdmittedEpisode, PassageAnswer, KeyedBytes> {
  public static final OutputTag<KeyedBytes> SILVER = new OutputTag<>("silver-sequences", CompactTypes.of(KeyedBytes.class));
  public static final OutputTag<TeacherObservation> TEACHER = new OutputTag<>("teacher-observations", CompactTypes.of(TeacherObservation.class));
  public static final OutputTag<EpisodePreferences> PREFERENCES = new OutputTag<>("episode-preferences", CompactTypes.of(EpisodePreferences.class));
  /** Event-time timers fire at this only when every input has ended (bounded runs). */
  static final long END_OF_INPUT = Long.MAX_VALUE;

  private final MiningConfig config;
  private transient ValueState<RawRecord> episode;
  private transient ValueState<Integer> needed;
  private transient MapState<String, PassageAnswer> answers;
  private transient ValueState<Integer> answered;
  private transient AvroCodec<FeedbackEpisode> episodes;
  private transient AvroCodec<TrainingExample> examples;
  private transient AvroCodec<SilverSequence> silver;

  public PreferenceMiner(MiningConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    episode = getRuntimeContext().getState(new ValueStateDescriptor<>("episode", CompactTypes.of(RawRecord.class)));
    needed = getRuntimeContext().getState(new ValueStateDescriptor<>("passages-needed", Types.INT));
    answers = getRuntimeContext().getMapState(new MapStateDescriptor<>("answers", CompactTypes.KEY, CompactTypes.of(PassageAnswer.class)));
    answered = getRuntimeContext().getState(new ValueStateDescriptor<>("passages-answered", Types.INT));
    episodes = AvroCodec.of(FeedbackEpisode.class);
    examples = AvroCodec.of(TrainingExample.class);
    silver = AvroCodec.of(SilverSequence.class);
  }

  @Override
  public void processElement1(AdmittedEpisode admitted, Context ctx, Collector<KeyedBytes> out) throws Exception {
    episode.update(admitted.record);
    needed.update(admitted.passages);
    mineWhenAnswered(ctx, out);
  }

  @Override
  public void processElement2(PassageAnswer answer, Context ctx, Collector<KeyedBytes> out) throws Exception {
    if (answers.contains(answer.passageId)) return;
    answers.put(answer.passageId, answer);
    answered.update(answered.value() == null ? 1 : answered.value() + 1);
    mineWhenAnswered(ctx, out);
  }

  private void mineWhenAnswered(Context ctx, Collector<KeyedBytes> out) throws Exception {
    RawRecord raw = episode.value();
    int have = answered.value() == null ? 0 : answered.value();
    if (raw == null || have < needed.value()) return;
    Map<String, CorpusUpdate> state = new HashMap<>();
    List<String> unknown = new ArrayList<>();
    for (PassageAnswer a : answers.values()) {
      if (a.entry == null) unknown.add(a.passageId);
      else state.put(a.passageId, a.entry);
    }
    episode.clear();
    needed.clear();
    answers.clear();
    answered.clear();
    if (!unknown.isEmpty()) {
      java.util.Collections.sort(unknown);
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.UNKNOWN_PASSAGE,
          "corpus holds no passage " + unknown + " after waiting " + config.passageWaitMs() + " ms"));
      return;
    }
    mine(raw, episodes.decode(raw.value, config.limits().maxRecordBytes()), state, ctx, out);
  }

  private void mine(RawRecord raw, FeedbackEpisode episode, Map<String, CorpusUpdate> state, Context ctx, Collector<KeyedBytes> out) {
    long now = ctx.timerService().currentProcessingTime();
    TeacherSignal signal = TeacherSignal.of(episode, config);
    PreferenceRules.Outcome outcome = PreferenceRules.mine(episode, signal, state::get, config, now);
    if (outcome.example() == null) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.NO_PREFERENCE, outcome.rejection()));
      return;
    }
    byte[] example = examples.encode(outcome.example());
    if (example.length > config.limits().maxRecordBytes()) {
      // The example carries its passages' texts; one over the broker's limit would fail the sink and the job.
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, DeadLetterReason.OVERSIZED,
          "its training example would be " + example.length + " bytes, over maxRecordBytes " + config.limits().maxRecordBytes()));
      return;
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
  }
}

package dev.attune.streams.mining.operators;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.Violation;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceRules;
import dev.attune.streams.types.CompactTypes;
import java.time.Duration;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The mining job's first step, keyed by request id: an episode that decodes, keeps the contract and
 * was not mined before goes on to the {@link PreferenceMiner}, and asks the corpus for each passage
 * it references ({@link #LOOKUPS}, answered by the {@link CorpusLookup}). Anything can write to the
 * episodes topic, so the assembler's checks run again, and the key must be the request id (a null
 * key must not share the state of every other null-keyed record). A request id already seen within
 * {@code dedupeRetentionMs} is dead-lettered as {@code DUPLICATE}: one example per request, ever.
 */
public final class EpisodeIntake extends KeyedProcessFunction<String, RawRecord, AdmittedEpisode> {
  public static final OutputTag<PassageLookup> LOOKUPS = new OutputTag<>("passage-lookups", CompactTypes.of(PassageLookup.class));
  private final MiningConfig config;
  private transient ValueState<Boolean> seen;
  private transient AvroCodec<FeedbackEpisode> episodes;
  private transient EventValidator validator;

  public EpisodeIntake(MiningConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    ValueStateDescriptor<Boolean> seenDescriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
    seenDescriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(config.dedupeRetentionMs())).build());
    seen = getRuntimeContext().getState(seenDescriptor);
    episodes = AvroCodec.of(FeedbackEpisode.class);
    validator = new EventValidator(config.limits());
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<AdmittedEpisode> out) throws Exception {
    FeedbackEpisode episode;
    try {
      episode = episodes.decode(raw.value, config.limits().maxRecordBytes());
    } catch (EventDecodingException e) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, e.reason(), e.getMessage()));
      return;
    }
    Optional<Violation> invalid = validator.validate(episode)
        .or(() -> EventValidator.keyMatches(raw.keyBytes, episode.getRequestId(), "requestId"));
    if (invalid.isPresent()) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(raw, invalid.get().reason(), invalid.get().detail()));
      return;
    }
    if (Boolean.TRUE.equals(seen.value())) {
      ctx.output(DeadLetterOutput.TAG,
          DeadLetterOutput.of(raw, DeadLetterReason.DUPLICATE, "request " + episode.getRequestId() + " was already mined"));
      return;
    }
    seen.update(true);
    java.util.Set<String> passages = PreferenceRules.referencedPassages(episode);
    out.collect(new AdmittedEpisode(raw, passages.size()));
    for (String id : passages) ctx.output(LOOKUPS, new PassageLookup(id, episode.getRequestId()));
  }
}

package dev.attune.streams.scoring;

import dev.attune.schemas.AnswerEvent;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.schemas.Violation;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.PassageLookup;
import dev.attune.streams.mining.operators.RawRecord;
import dev.attune.streams.types.CompactTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The scoring stage's first step, keyed by request id: a request's query, retrieval and answers
 * (three topics) wait for each other for {@code requestWaitMs} from the first of them. The answers
 * that find their query and retrieval, if the request is sampled in ({@link ScoringBudget#samples}),
 * go on as a {@link ScoringRequest}, and its passages are looked up in the corpus ({@link #LOOKUPS})
 * once for them. Bad records and duplicate answers are dead-lettered; an answer whose query or
 * retrieval never came is dead-lettered UNJOINABLE when the wait ends. Queries nobody answered are
 * dropped then: most requests get no answer event, and that is not an error.
 */
public final class RequestJoin extends KeyedProcessFunction<String, RawRecord, ScoringRequest> {
  public static final OutputTag<PassageLookup> LOOKUPS = new OutputTag<>("scoring-lookups", CompactTypes.of(PassageLookup.class));
  static final String STAGE = "scorer";
  private final ScoringConfig config;
  private final String queriesTopic;
  private final String retrievalsTopic;
  private final String answersTopic;
  private transient ValueState<String> query;
  private transient ValueState<Retrieved> retrieval;
  private transient ListState<RawRecord> waiting;
  private transient MapState<String, Boolean> answered;
  private transient ValueState<Long> expiry;
  private transient EventValidator validator;
  private transient StageCount sampledOut;

  /** A retrieval as scoring needs it. */
  public static class Retrieved {
    public List<String> passageIds;
    public boolean uncertain;

    public Retrieved() {}

    Retrieved(List<String> passageIds, boolean uncertain) {
      this.passageIds = passageIds;
      this.uncertain = uncertain;
    }
  }

  public RequestJoin(ScoringConfig config, String queriesTopic, String retrievalsTopic, String answersTopic) {
    this.config = config;
    this.queriesTopic = queriesTopic;
    this.retrievalsTopic = retrievalsTopic;
    this.answersTopic = answersTopic;
  }

  @Override
  public void open(OpenContext openContext) {
    query = getRuntimeContext().getState(new ValueStateDescriptor<>("query", CompactTypes.KEY));
    retrieval = getRuntimeContext().getState(new ValueStateDescriptor<>("retrieval", CompactTypes.of(Retrieved.class)));
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-answers", CompactTypes.of(RawRecord.class)));
    MapStateDescriptor<String, Boolean> answeredDescriptor = new MapStateDescriptor<>("answered", CompactTypes.KEY, Types.BOOLEAN);
    // Answer ids outlive the request's wait, so a duplicate sent much later is still recognised.
    answeredDescriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(config.requestWaitMs()).multipliedBy(6)).build());
    answered = getRuntimeContext().getMapState(answeredDescriptor);
    expiry = getRuntimeContext().getState(new ValueStateDescriptor<>("expiry", Types.LONG));
    validator = new EventValidator(config.limits());
    sampledOut = new StageCount(getRuntimeContext(), "answersSampledOut");
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<ScoringRequest> out) throws Exception {
    if (expiry.value() == null) {
      long at = ctx.timerService().currentProcessingTime() + config.requestWaitMs();
      ctx.timerService().registerProcessingTimeTimer(at);
      expiry.update(at);
    }
    if (raw.topic.equals(queriesTopic)) {
      QueryEvent q = decode(raw, QueryEvent.class, ctx);
      if (q == null || !checked(raw, validator.validate(q), q.getRequestId(), ctx)) return;
      if (query.value() != null) {
        ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(STAGE, raw, DeadLetterReason.DUPLICATE, "a second query for request " + q.getRequestId()));
        return;
      }
      query.update(q.getQuery());
    } else if (raw.topic.equals(retrievalsTopic)) {
      RetrievalEvent r = decode(raw, RetrievalEvent.class, ctx);
      if (r == null || !checked(raw, validator.validate(r), r.getRequestId(), ctx)) return;
      if (retrieval.value() != null) {
        ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(STAGE, raw, DeadLetterReason.DUPLICATE, "a second retrieval for request " + r.getRequestId()));
        return;
      }
      retrieval.update(retrieved(r, config.budget().uncertainMargin()));
    } else if (raw.topic.equals(answersTopic)) {
      AnswerEvent a = decode(raw, AnswerEvent.class, ctx);
      if (a == null || !checked(raw, validator.validate(a), a.getRequestId(), ctx)) return;
      if (answered.contains(a.getEventId())) {
        ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(STAGE, raw, DeadLetterReason.DUPLICATE, "answer " + a.getEventId() + " was already taken"));
        return;
      }
      answered.put(a.getEventId(), true);
      waiting.add(raw);
    } else {
      throw new IllegalStateException("record from unexpected topic " + raw.topic);
    }
    release(ctx, out);
  }

  /**
   * The waiting answers go on once the query and retrieval are both in, together as one request
   * whose passages are looked up once for them (sampling is by request, so all or none).
   */
  private void release(Context ctx, Collector<ScoringRequest> out) throws Exception {
    String q = query.value();
    Retrieved r = retrieval.value();
    if (q == null || r == null) return;
    List<ScoringRequest.Answer> answers = new ArrayList<>();
    for (RawRecord raw : waiting.get()) {
      AnswerEvent a = AvroCodec.of(AnswerEvent.class).decode(raw.value, config.limits().maxRecordBytes());
      answers.add(new ScoringRequest.Answer(a.getAnswer(), a.getEventId(), raw));
    }
    waiting.clear();
    if (answers.isEmpty()) return;
    String requestId = ctx.getCurrentKey();
    if (!config.budget().samples(requestId, r.uncertain)) {
      sampledOut.add(answers.size());
      return;
    }
    out.collect(new ScoringRequest(requestId, q, r.uncertain, r.passageIds, answers));
    for (String id : r.passageIds) ctx.output(LOOKUPS, new PassageLookup(id, requestId));
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoringRequest> out) throws Exception {
    for (RawRecord raw : waiting.get()) {
      String missing = query.value() == null && retrieval.value() == null ? "query and retrieval"
          : query.value() == null ? "query" : "retrieval";
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(STAGE, raw, DeadLetterReason.UNJOINABLE,
          "no " + missing + " for request " + ctx.getCurrentKey() + " within " + config.requestWaitMs() + " ms"));
    }
    waiting.clear();
    query.clear();
    retrieval.clear();
    expiry.clear();
  }

  static Retrieved retrieved(RetrievalEvent r, double uncertainMargin) {
    List<RankedPassage> ranked = new ArrayList<>(r.getCandidates());
    ranked.sort(Comparator.comparingInt(RankedPassage::getRank));
    boolean uncertain = ranked.size() > 1 && ranked.get(0).getScore() - ranked.get(1).getScore() < uncertainMargin;
    return new Retrieved(ranked.stream().map(RankedPassage::getPassageId).toList(), uncertain);
  }

  private <T extends SpecificRecord> T decode(RawRecord raw, Class<T> type, Context ctx) {
    try {
      return AvroCodec.of(type).decode(raw.value, config.limits().maxRecordBytes());
    } catch (EventDecodingException e) {
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(STAGE, raw, e.reason(), e.getMessage()));
      return null;
    }
  }

  private static boolean checked(RawRecord raw, Optional<Violation> violation, String requestId, Context ctx) {
    Optional<Violation> invalid = violation.or(() -> EventValidator.keyMatches(raw.keyBytes, requestId, "requestId"));
    invalid.ifPresent(v -> ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(STAGE, raw, v.reason(), v.detail())));
    return invalid.isEmpty();
  }
}

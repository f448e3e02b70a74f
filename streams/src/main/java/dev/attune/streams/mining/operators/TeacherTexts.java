package dev.attune.streams.mining.operators;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.TeacherDistribution;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.TeacherAccumulator;
import dev.attune.streams.types.CompactTypes;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Makes a closed teacher window's {@link TeacherDistribution} (keyed by {@link TeacherAccumulator#id()}):
 * input 1 is the window, input 2 the corpus's answers to its {@link Lookups}, in either order; once
 * every passage is answered the record is built with the texts the corpus holds now, passages
 * deleted since left out. A record over {@code maxRecordBytes} is dead-lettered as {@code OVERSIZED}.
 * Only windows still waiting for texts are in this operator's state.
 */
public final class TeacherTexts extends KeyedCoProcessFunction<String, TeacherAccumulator, PassageAnswer, KeyedBytes> {
  /** The source named in a window's dead letter: it was aggregated, not read from a topic. */
  static final String WINDOW_SOURCE = "(teacher window)";
  private final double temperature;
  private final int maxRecordBytes;
  private transient ValueState<TeacherAccumulator> window;
  private transient MapState<String, CorpusUpdate> texts;
  private transient ValueState<Integer> answered;
  private transient AvroCodec<TeacherDistribution> codec;

  /** One lookup per passage of a closed window, answered by a {@code CorpusLookup} and routed back by window id. */
  public static final class Lookups implements FlatMapFunction<TeacherAccumulator, PassageLookup> {
    @Override
    public void flatMap(TeacherAccumulator window, Collector<PassageLookup> out) {
      String id = window.id();
      for (String passageId : window.candidates.keySet()) out.collect(new PassageLookup(passageId, id));
    }
  }

  public TeacherTexts(double temperature, int maxRecordBytes) {
    this.temperature = temperature;
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public void open(OpenContext openContext) {
    window = getRuntimeContext().getState(new ValueStateDescriptor<>("window", CompactTypes.of(TeacherAccumulator.class)));
    texts = getRuntimeContext().getMapState(new MapStateDescriptor<>("texts", CompactTypes.KEY, CompactTypes.of(CorpusUpdate.class)));
    answered = getRuntimeContext().getState(new ValueStateDescriptor<>("answered", Types.INT));
    codec = AvroCodec.of(TeacherDistribution.class);
  }

  @Override
  public void processElement1(TeacherAccumulator closed, Context ctx, Collector<KeyedBytes> out) throws Exception {
    window.update(closed);
    emitWhenAnswered(ctx, out);
  }

  @Override
  public void processElement2(PassageAnswer answer, Context ctx, Collector<KeyedBytes> out) throws Exception {
    if (texts.contains(answer.passageId)) return;
    // An unknown passage (null) cannot be told from one never stored: a deletion stands in for both.
    texts.put(answer.passageId, answer.entry != null ? answer.entry : new CorpusUpdate(answer.passageId, true, null, null));
    answered.update(answered.value() == null ? 1 : answered.value() + 1);
    emitWhenAnswered(ctx, out);
  }

  private void emitWhenAnswered(Context ctx, Collector<KeyedBytes> out) throws Exception {
    TeacherAccumulator closed = window.value();
    if (closed == null || answered.value() == null || answered.value() < closed.candidates.size()) return;
    Map<String, CorpusUpdate> byId = new HashMap<>();
    for (var e : texts.entries()) byId.put(e.getKey(), e.getValue());
    window.clear();
    texts.clear();
    answered.clear();
    TeacherDistribution record = closed.toRecord(temperature, byId::get);
    if (record == null) return;
    byte[] bytes = codec.encode(record);
    if (bytes.length > maxRecordBytes) {
      // The window was bounded by its passages' texts when observed; texts edited longer since can
      // push the record over, and one over the broker's limit would fail the sink and the job.
      RawRecord source = new RawRecord(WINDOW_SOURCE, -1, -1, closed.key.getBytes(StandardCharsets.UTF_8), bytes);
      ctx.output(DeadLetterOutput.TAG, DeadLetterOutput.of(source, DeadLetterReason.OVERSIZED,
          "its teacher distribution would be " + bytes.length + " bytes, over maxRecordBytes " + maxRecordBytes));
      return;
    }
    out.collect(new KeyedBytes(closed.key, bytes));
  }
}

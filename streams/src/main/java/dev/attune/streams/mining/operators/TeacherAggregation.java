package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.TeacherAccumulator;
import dev.attune.streams.mining.rules.TeacherObservation;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.TeacherDistribution;

/** Windows of teacher observations per (task, query, LLM, kind) → {@link TeacherDistribution}s. */
public final class TeacherAggregation implements WindowedAggregator.Aggregation<TeacherObservation, TeacherAccumulator> {
  private final double temperature;
  private final int maxRecordBytes;
  private transient AvroCodec<TeacherDistribution> codec;

  /** {@code maxRecordBytes} bounds a window: the distribution record carries every passage's text. */
  public TeacherAggregation(double temperature, int maxRecordBytes) {
    this.temperature = temperature;
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public boolean full(TeacherAccumulator accumulator, TeacherObservation next) {
    return accumulator.bytes + next.bytes() > maxRecordBytes;
  }

  @Override
  public TeacherAccumulator start(TeacherObservation first, long nowMs) {
    return TeacherAccumulator.start(first, nowMs);
  }

  @Override
  public void add(TeacherAccumulator accumulator, TeacherObservation input) {
    accumulator.add(input);
  }

  @Override
  public KeyedBytes emit(String key, TeacherAccumulator accumulator, long nowMs) {
    if (codec == null) codec = AvroCodec.of(TeacherDistribution.class);
    return new KeyedBytes(key, codec.encode(accumulator.toRecord(temperature, nowMs)));
  }
}

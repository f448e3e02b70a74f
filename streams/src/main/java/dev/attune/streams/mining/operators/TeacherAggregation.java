package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.TeacherAccumulator;
import dev.attune.streams.mining.rules.TeacherObservation;

/**
 * Windows of teacher observations per (task, query, LLM, kind), closed and handed on without texts:
 * {@link TeacherTexts} attaches the corpus's texts and makes the {@code TeacherDistribution}.
 */
public final class TeacherAggregation implements WindowedAggregator.Aggregation<TeacherObservation, TeacherAccumulator, TeacherAccumulator> {
  private final int maxRecordBytes;

  /** {@code maxRecordBytes} bounds a window: the distribution record will carry every passage's text. */
  public TeacherAggregation(int maxRecordBytes) {
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public boolean full(TeacherAccumulator accumulator, TeacherObservation next) {
    return accumulator.bytes + next.bytes > maxRecordBytes;
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
  public TeacherAccumulator emit(String key, TeacherAccumulator accumulator, long nowMs) {
    return accumulator.close(nowMs);
  }
}

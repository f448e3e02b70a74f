package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.EpisodePreferences;
import dev.attune.streams.mining.rules.PreferenceStatistics;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.PreferenceStats;

/** Windows of all episodes' preferences (one key) → {@link PreferenceStats}. */
public final class StatisticsAggregation implements WindowedAggregator.Aggregation<EpisodePreferences, PreferenceStatistics, KeyedBytes> {
  public static final String KEY = "all";
  private transient AvroCodec<PreferenceStats> codec;

  @Override
  public PreferenceStatistics start(EpisodePreferences first, long nowMs) {
    PreferenceStatistics stats = new PreferenceStatistics();
    stats.windowStartMs = nowMs;
    return stats;
  }

  @Override
  public void add(PreferenceStatistics accumulator, EpisodePreferences input) {
    accumulator.add(input);
  }

  @Override
  public KeyedBytes emit(String key, PreferenceStatistics accumulator, long nowMs) {
    if (codec == null) codec = AvroCodec.of(PreferenceStats.class);
    return new KeyedBytes(Long.toString(accumulator.windowStartMs), codec.encode(accumulator.toRecord(accumulator.windowStartMs, nowMs)));
  }
}

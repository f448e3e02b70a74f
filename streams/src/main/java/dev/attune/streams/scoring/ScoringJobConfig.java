package dev.attune.streams.scoring;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the scoring job reads and writes.
 *
 * @param kafka how to reach Kafka
 * @param topics read: {@code queries}, {@code retrievals}, {@code answers}, {@code corpus}; written:
 *     {@code llm-feedback}, {@code dead-letter}
 * @param groupId consumer group; also the transactional id prefix
 * @param checkpointInterval checkpoint (and so transaction commit) interval
 * @param parallelism job parallelism
 * @param scoring the stage's rules and endpoint
 */
public record ScoringJobConfig(KafkaSettings kafka, Topics topics, String groupId, Duration checkpointInterval, int parallelism,
    ScoringConfig scoring) {
  public ScoringJobConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(scoring, "scoring");
    if (parallelism < 1) throw new IllegalArgumentException("parallelism (" + parallelism + ") must be >= 1");
  }

  public static ScoringJobConfig defaults(KafkaSettings kafka, ScoringConfig scoring) {
    return new ScoringJobConfig(kafka, Topics.defaults(), "attune-scoring", Duration.ofSeconds(2), 1, scoring);
  }

  public ScoringJobConfig withTopics(Topics newTopics) {
    return new ScoringJobConfig(kafka, newTopics, groupId, checkpointInterval, parallelism, scoring);
  }

  public ScoringJobConfig withScoring(ScoringConfig newScoring) {
    return new ScoringJobConfig(kafka, topics, groupId, checkpointInterval, parallelism, newScoring);
  }
}

package dev.attune.streams.mining;

import dev.attune.schemas.Topics;
import java.time.Duration;

/**
 * Where the mining job reads and writes.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topics topic names
 * @param groupId consumer group of the episode source
 * @param checkpointInterval checkpoint (and so transaction commit) interval of the exactly-once sinks
 * @param parallelism job parallelism
 * @param rules the mining rules
 */
public record MiningJobConfig(
    String bootstrapServers,
    Topics topics,
    String groupId,
    Duration checkpointInterval,
    int parallelism,
    MiningConfig rules) {

  public static MiningJobConfig defaults(String bootstrapServers) {
    return new MiningJobConfig(
        bootstrapServers, Topics.defaults(), "attune-preference-mining", Duration.ofSeconds(2), 1, MiningConfig.defaults());
  }

  public MiningJobConfig withTopics(Topics newTopics) {
    return new MiningJobConfig(bootstrapServers, newTopics, groupId, checkpointInterval, parallelism, rules);
  }

  public MiningJobConfig withRules(MiningConfig newRules) {
    return new MiningJobConfig(bootstrapServers, topics, groupId, checkpointInterval, parallelism, newRules);
  }
}

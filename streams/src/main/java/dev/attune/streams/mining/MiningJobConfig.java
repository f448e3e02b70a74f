package dev.attune.streams.mining;

import dev.attune.schemas.KafkaSettings;
import dev.attune.streams.mining.rules.MiningConfig;

import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the mining job reads and writes.
 *
 * @param kafka how to reach Kafka: bootstrap servers and client properties (security, client id)
 * @param inputs topics read: {@code episodes} and {@code corpus}
 * @param outputs topics written: {@code training-examples}, {@code silver-sequences}, {@code
 *     teacher-distributions}, {@code preference-stats}, {@code dead-letter} (a backfill may write to
 *     other names than the live job)
 * @param groupId consumer group of the episode source; also the transactional id prefix
 * @param checkpointInterval checkpoint (and so transaction commit) interval of the exactly-once sinks
 * @param parallelism job parallelism
 * @param rules the mining rules
 * @param backfill the range to mine in a bounded run, or null to follow the topics live
 */
public record MiningJobConfig(
    KafkaSettings kafka,
    Topics inputs,
    Topics outputs,
    String groupId,
    Duration checkpointInterval,
    int parallelism,
    MiningConfig rules,
    Backfill backfill) {

  public MiningJobConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(outputs, "outputs");
    Objects.requireNonNull(rules, "rules");
    if (parallelism < 1) throw new IllegalArgumentException("parallelism (" + parallelism + ") must be >= 1");
  }

  public static MiningJobConfig defaults(KafkaSettings kafka) {
    return new MiningJobConfig(
        kafka, Topics.defaults(), Topics.defaults(), "attune-preference-mining", Duration.ofSeconds(2), 1,
        MiningConfig.defaults(), null);
  }

  public boolean bounded() {
    return backfill != null;
  }

  public MiningJobConfig withTopics(Topics topics) {
    return new MiningJobConfig(kafka, topics, topics, groupId, checkpointInterval, parallelism, rules, backfill);
  }

  public MiningJobConfig withRules(MiningConfig newRules) {
    return new MiningJobConfig(kafka, inputs, outputs, groupId, checkpointInterval, parallelism, newRules, backfill);
  }

  /** A bounded run over {@code range}, writing to {@code newOutputs}, under its own group and transactional ids. */
  public MiningJobConfig asBackfill(Backfill range, Topics newOutputs, String newGroupId) {
    return new MiningJobConfig(kafka, inputs, newOutputs, newGroupId, checkpointInterval, parallelism, rules, range);
  }
}

package dev.attune.trainers.train;

import dev.attune.schemas.Topics;

/**
 * The trainer as a service.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topics topic names
 * @param triggerExamples train once this many new (non-held-out) examples have arrived
 * @param holdoutPercent share of examples (by id hash) kept for promotion decisions, never trained on
 * @param promotionMargin the candidate's nDCG@10 and recall@5 must beat the serving model's by at least this (0 = no regression; negative tolerates a loss)
 * @param maxRounds stop after this many training rounds (0 = no limit)
 * @param training the fine-tuning settings
 */
public record TrainerServiceConfig(
    String bootstrapServers,
    Topics topics,
    int triggerExamples,
    int holdoutPercent,
    double promotionMargin,
    int maxRounds,
    TrainerConfig training) {

  public TrainerServiceConfig {
    if (triggerExamples < 1) throw new IllegalArgumentException("triggerExamples (" + triggerExamples + ") must be >= 1");
    if (holdoutPercent < 1 || holdoutPercent > 50) throw new IllegalArgumentException("holdoutPercent (" + holdoutPercent + ") must be in 1..50");
  }

  public static boolean heldOut(String exampleId, int holdoutPercent) {
    return Math.floorMod(exampleId.hashCode() * 0x9E3779B1, 100) < holdoutPercent;
  }
}

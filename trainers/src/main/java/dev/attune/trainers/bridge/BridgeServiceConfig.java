package dev.attune.trainers.bridge;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.PromotionPolicy;

/**
 * The bridge trainer as a job.
 *
 * @param kafka how to reach Kafka: bootstrap servers and client properties (security, client id)
 * @param topics topic names (reads silver sequences and the model log, writes model versions)
 * @param minExamples a round runs only once this many new (non-held-out) silver sequences arrived
 * @param holdoutPercent share of silver sequences (by id hash) kept for evaluation, never trained on
 * @param promotion when a candidate replaces the serving bridge; its metric is a {@link
 *     BridgeEvaluation} key ({@code utility})
 * @param topK k of the "retriever top-k as is" reference, which is what version 0 (no bridge) serves
 * @param bridge model and training settings
 * @param tasks task instructions, as the retriever embeds queries
 */
public record BridgeServiceConfig(KafkaSettings kafka, Topics topics, int minExamples, int holdoutPercent, PromotionPolicy promotion,
    int topK, BridgeConfig bridge, Tasks tasks) {

  public BridgeServiceConfig {
    if (minExamples < 1) throw new IllegalArgumentException("minExamples (" + minExamples + ") must be >= 1");
    if (holdoutPercent < 1 || holdoutPercent > 50) throw new IllegalArgumentException("holdoutPercent (" + holdoutPercent + ") must be in 1..50");
    if (topK < 1) throw new IllegalArgumentException("topK (" + topK + ") must be >= 1");
  }

  /** Promote when held-out utility does not fall below the serving bridge's (or top-k's). */
  public static PromotionPolicy defaultPromotion() {
    return new PromotionPolicy(BridgeEvaluation.UTILITY, 0.0, 0.01);
  }
}

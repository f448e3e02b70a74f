package dev.attune.trainers.train;

import dev.attune.schemas.Topics;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.task.Tasks;
import java.util.List;

/**
 * The trainer as a service.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topics topic names
 * @param triggerExamples a round starts once this many new (non-held-out) examples have arrived; it
 *     trains on exactly the examples since the previous round
 * @param holdoutPercent share of examples (by id hash) kept for promotion decisions, never trained on
 * @param promotion when a candidate replaces the serving model
 * @param maxRounds stop after this many training rounds (0 = no limit)
 * @param training the fine-tuning settings
 * @param tasks instructions and distillation per task (the serving layer must use the same)
 * @param reference fixed reference queries every candidate is also scored on (may be empty)
 */
public record TrainerServiceConfig(
    String bootstrapServers,
    Topics topics,
    int triggerExamples,
    int holdoutPercent,
    PromotionPolicy promotion,
    int maxRounds,
    TrainerConfig training,
    Tasks tasks,
    List<RetrievalMetrics.Judged> reference) {

  public TrainerServiceConfig {
    if (triggerExamples < 1) throw new IllegalArgumentException("triggerExamples (" + triggerExamples + ") must be >= 1");
    if (holdoutPercent < 1 || holdoutPercent > 50) throw new IllegalArgumentException("holdoutPercent (" + holdoutPercent + ") must be in 1..50");
    reference = List.copyOf(reference);
  }

  public static boolean heldOut(String exampleId, int holdoutPercent) {
    return Math.floorMod(exampleId.hashCode() * 0x9E3779B1, 100) < holdoutPercent;
  }
}

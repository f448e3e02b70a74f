package dev.attune.trainers.train;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.Truncation;
import dev.attune.models.task.Tasks;
import java.util.List;

/**
 * The trainer as a service.
 *
 * @param kafka how to reach Kafka: bootstrap servers and client properties (security, client id)
 * @param topics topic names
 * @param triggerExamples a round starts once this many new (non-held-out) examples have arrived; it
 *     trains on exactly the examples since the previous round
 * @param holdoutPercent share of examples (by id hash) kept for promotion decisions, never trained on
 * @param promotion when a candidate replaces the serving model
 * @param maxRounds stop after this many training rounds (0 = no limit)
 * @param training the fine-tuning settings
 * @param tasks instructions and distillation per task (the serving layer must use the same)
 * @param reference fixed reference queries every candidate is also scored on (may be empty)
 * @param schedule which rounds are query-side and which full
 * @param serving serving's truncation: evaluation and the trainer's copy of the index use it
 * @param llmScoreBudget most passages a decision may ask the LLM to score for a fair utility pool
 */
public record TrainerServiceConfig(
    KafkaSettings kafka,
    Topics topics,
    int triggerExamples,
    int holdoutPercent,
    RetrieverPromotion promotion,
    int maxRounds,
    TrainerConfig training,
    Tasks tasks,
    List<RetrievalMetrics.Judged> reference,
    RoundSchedule schedule,
    Truncation serving,
    int llmScoreBudget) {

  public TrainerServiceConfig {
    if (triggerExamples < 1) throw new IllegalArgumentException("triggerExamples (" + triggerExamples + ") must be >= 1");
    if (holdoutPercent < 1 || holdoutPercent > 50) throw new IllegalArgumentException("holdoutPercent (" + holdoutPercent + ") must be in 1..50");
    if (llmScoreBudget < 0) throw new IllegalArgumentException("llmScoreBudget (" + llmScoreBudget + ") must be >= 0");
    reference = List.copyOf(reference);
  }

  /** Query-side rounds by {@link RoundSchedule#defaults()}, serving's truncation, up to 5,000 LLM scores per decision. */
  public TrainerServiceConfig(KafkaSettings kafka, Topics topics, int triggerExamples, int holdoutPercent, RetrieverPromotion promotion,
      int maxRounds, TrainerConfig training, Tasks tasks, List<RetrievalMetrics.Judged> reference) {
    this(kafka, topics, triggerExamples, holdoutPercent, promotion, maxRounds, training, tasks, reference, RoundSchedule.defaults(),
        Truncation.SERVING, 5_000);
  }

  public TrainerServiceConfig withSchedule(RoundSchedule newSchedule) {
    return new TrainerServiceConfig(kafka, topics, triggerExamples, holdoutPercent, promotion, maxRounds, training, tasks, reference,
        newSchedule, serving, llmScoreBudget);
  }

  public static boolean heldOut(String exampleId, int holdoutPercent) {
    return Math.floorMod(exampleId.hashCode() * 0x9E3779B1, 100) < holdoutPercent;
  }
}

package dev.attune.infra.cli;

import dev.attune.trainers.train.QueryTuning;
import dev.attune.trainers.train.TrainerConfig;
import picocli.CommandLine.Option;

/** Fine-tuning options shared by the commands that train a retriever; each one left out keeps the command's setting. */
public final class TrainingOptions {
  @Option(names = "--steps", description = "Step cap per round; never cuts the first epoch.") Integer steps;
  @Option(names = "--epochs", description = "Passes over each round's examples, within the step cap.") Integer epochs;
  @Option(names = "--batch", description = "Queries per batch, all from one task; auto: on a GPU, a full round's batch is as many as its free memory"
      + " takes (the command's batch on the CPU).") String batch;
  @Option(names = "--positives", description = "Positives per query that are contrastive targets.") Integer positives;
  @Option(names = "--positive-order", description = "HUMAN_FIRST or LLM_FIRST: which positives train when a query has more than --positives.")
  TrainerConfig.PositiveOrder positiveOrder;
  @Option(names = "--negatives", description = "Negative slots per query in a full round (a query-side round sees the whole index).") Integer negatives;
  @Option(names = "--learning-rate", description = "Peak AdamW learning rate.") Float learningRate;
  @Option(names = "--temperature", description = "Student temperature on cosine similarity.") Float temperature;
  @Option(names = "--distillation-weight", description = "Weight of the task's distillation toward the LLM's scores (0: contrastive only).") Float distillationWeight;
  @Option(names = "--query-tuning", description = "What a query-side round trains: all, top:N (the top N layers) or lora:R (rank-R adapters).") String queryTuning;
  @Option(names = "--query-tokens", description = "Query truncation in training.") Integer queryTokens;
  @Option(names = "--passage-tokens", description = "Passage truncation in a full round's training.") Integer passageTokens;
  @Option(names = "--checkpoint-every", description = "Checkpoint every N batches.") Integer checkpointEvery;
  @Option(names = "--gradient-chunk", description = "Texts per forward pass with gradient caching: memory bounded by the chunk, not the batch,"
      + " for a second forward pass (0: none).") Integer gradientChunk;

  /** {@code base} with every option given on the command line in place of its setting. */
  public TrainerConfig over(TrainerConfig base) {
    TrainerConfig.Builder b = base.toBuilder();
    if (steps != null) b.maxSteps(steps);
    if (epochs != null) b.epochs(epochs);
    if ("auto".equals(batch)) b.batchByMemory(true);
    else if (batch != null) b.batchQueries(parseBatch(batch)).batchByMemory(false);
    if (positives != null) b.positivesPerQuery(positives);
    if (positiveOrder != null) b.positiveOrder(positiveOrder);
    if (negatives != null) b.negativesPerQuery(negatives);
    if (learningRate != null) b.learningRate(learningRate);
    if (temperature != null) b.temperature(temperature);
    if (distillationWeight != null) b.distillationWeight(distillationWeight);
    if (queryTuning != null) b.queryTuning(QueryTuning.parse(queryTuning));
    if (queryTokens != null) b.maxQueryTokens(queryTokens);
    if (passageTokens != null) b.maxPassageTokens(passageTokens);
    if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
    if (gradientChunk != null) b.gradientChunk(gradientChunk);
    return b.build();
  }

  private static int parseBatch(String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--batch takes a number of queries or auto, not '" + value + "'");
    }
  }

  /** One line naming the settings, for reports. */
  public static String describe(TrainerConfig c) {
    return String.format(java.util.Locale.ROOT,
        "batch %d%s x (%d pos %s + %d neg)%s, lengths %d/%d, lr %.0e, temperature %.2f, distillation weight %.1f, query tuning %s, %d epoch(s), step cap %d",
        c.batchQueries(), c.batchByMemory() ? " (by GPU memory)" : "", c.positivesPerQuery(), c.positiveOrder() == TrainerConfig.PositiveOrder.HUMAN_FIRST ? "human first" : "LLM first",
        c.negativesPerQuery(), c.gradientChunk() > 0 ? " in gradient-cached chunks of " + c.gradientChunk() : "", c.maxQueryTokens(), c.maxPassageTokens(), c.learningRate(), c.temperature(), c.distillationWeight(), c.queryTuning(),
        c.epochs(), c.maxSteps());
  }
}

package dev.attune.infra.train;

import dev.attune.trainers.train.TrainerConfig;
import picocli.CommandLine.Option;

/** Fine-tuning options shared by the commands that train a retriever; each one left out keeps the command's setting. */
public final class TrainingOptions {
  @Option(names = "--steps", description = "Step cap per round; never cuts the first epoch.") Integer steps;
  @Option(names = "--epochs", description = "Passes over each round's examples, within the step cap.") Integer epochs;
  @Option(names = "--batch", description = "Queries per batch, all from one task.") Integer batch;
  @Option(names = "--positives", description = "Positive slots per query.") Integer positives;
  @Option(names = "--negatives", description = "Negative slots per query.") Integer negatives;
  @Option(names = "--learning-rate", description = "Peak AdamW learning rate.") Float learningRate;
  @Option(names = "--temperature", description = "Student temperature on cosine similarity.") Float temperature;
  @Option(names = "--query-tokens", description = "Query truncation in training.") Integer queryTokens;
  @Option(names = "--passage-tokens", description = "Passage truncation in training.") Integer passageTokens;
  @Option(names = "--checkpoint-every", description = "Checkpoint every N batches.") Integer checkpointEvery;

  /** {@code base} with every option given on the command line in place of its setting. */
  public TrainerConfig over(TrainerConfig base) {
    return base.withTemperature(temperature != null ? temperature : base.temperature()).withMaxSteps(steps != null ? steps : base.maxSteps())
        .withBatch(batch != null ? batch : base.batchQueries(), positives != null ? positives : base.positivesPerQuery(),
            negatives != null ? negatives : base.negativesPerQuery())
        .withLengths(queryTokens != null ? queryTokens : base.maxQueryTokens(), passageTokens != null ? passageTokens : base.maxPassageTokens())
        .withSchedule(epochs != null ? epochs : base.epochs(), learningRate != null ? learningRate : base.learningRate(),
            checkpointEvery != null ? checkpointEvery : base.checkpointEvery());
  }

  /** One line naming the settings, for reports. */
  public static String describe(TrainerConfig c) {
    return String.format(java.util.Locale.ROOT, "batch %d x (%d pos + %d neg), lengths %d/%d, lr %.0e, temperature %.2f, %d epoch(s), step cap %d",
        c.batchQueries(), c.positivesPerQuery(), c.negativesPerQuery(), c.maxQueryTokens(), c.maxPassageTokens(), c.learningRate(), c.temperature(),
        c.epochs(), c.maxSteps());
  }
}

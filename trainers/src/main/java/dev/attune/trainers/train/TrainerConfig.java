package dev.attune.trainers.train;

/**
 * Fine-tuning settings. Defaults fit a 2-core CPU; the paper values are in ../shared/papers.md.
 *
 * @param batchQueries queries per step, all from one task
 * @param positivesPerQuery positive slots per query (human labels ∪ the LLM's top picks); unfilled slots are masked
 * @param negativesPerQuery negative slots per query (LLM-dispreferred, then sampled, then least preferred)
 * @param maxSteps cap on optimiser steps per training run; it never cuts the first epoch, so every example is trained on
 * @param epochs passes over the run's examples (before the cap)
 * @param learningRate peak AdamW learning rate
 * @param warmupShare share of the run's steps spent warming the learning rate up linearly
 * @param weightDecay decoupled weight decay
 * @param temperature student temperature τ on cosine similarity
 * @param teacherTemperature teacher temperature T on LLM scores
 * @param distillationWeight weight of the task's distillation term next to the contrastive loss
 * @param maxQueryTokens query truncation
 * @param maxPassageTokens passage truncation
 * @param checkpointEvery save weights, optimiser state and position every this many batches (0 = never)
 * @param seed batch order
 */
public record TrainerConfig(
    int batchQueries,
    int positivesPerQuery,
    int negativesPerQuery,
    int maxSteps,
    int epochs,
    float learningRate,
    float warmupShare,
    float weightDecay,
    float temperature,
    float teacherTemperature,
    float distillationWeight,
    int maxQueryTokens,
    int maxPassageTokens,
    int checkpointEvery,
    long seed) {

  public TrainerConfig {
    if (batchQueries < 2) throw new IllegalArgumentException("batchQueries (" + batchQueries + ") must be >= 2 for in-batch negatives");
    if (positivesPerQuery < 1) throw new IllegalArgumentException("positivesPerQuery (" + positivesPerQuery + ") must be >= 1");
    if (negativesPerQuery < 0) throw new IllegalArgumentException("negativesPerQuery (" + negativesPerQuery + ") must be >= 0");
    if (maxSteps < 1) throw new IllegalArgumentException("maxSteps (" + maxSteps + ") must be >= 1");
    if (epochs < 1) throw new IllegalArgumentException("epochs (" + epochs + ") must be >= 1");
    if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate (" + learningRate + ") must be > 0");
    if (!(warmupShare >= 0 && warmupShare < 1)) throw new IllegalArgumentException("warmupShare (" + warmupShare + ") must be in [0, 1)");
    if (!(weightDecay >= 0)) throw new IllegalArgumentException("weightDecay (" + weightDecay + ") must be >= 0");
    if (!(temperature > 0) || !(teacherTemperature > 0)) {
      throw new IllegalArgumentException("temperatures (" + temperature + ", " + teacherTemperature + ") must be > 0");
    }
    if (checkpointEvery < 0) throw new IllegalArgumentException("checkpointEvery (" + checkpointEvery + ") must be >= 0");
  }

  public static TrainerConfig defaults() {
    return new TrainerConfig(8, 2, 3, 60, 1, 2e-5f, 0.1f, 0.01f, 0.02f, 1.0f, 1.0f, 48, 256, 20, 42L);
  }

  public TrainerConfig withMaxSteps(int steps) {
    return new TrainerConfig(batchQueries, positivesPerQuery, negativesPerQuery, steps, epochs, learningRate, warmupShare,
        weightDecay, temperature, teacherTemperature, distillationWeight, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }

  public TrainerConfig withBatch(int queries, int positives, int negatives) {
    return new TrainerConfig(queries, positives, negatives, maxSteps, epochs, learningRate, warmupShare,
        weightDecay, temperature, teacherTemperature, distillationWeight, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }

  public TrainerConfig withTemperature(float studentTemperature) {
    return new TrainerConfig(batchQueries, positivesPerQuery, negativesPerQuery, maxSteps, epochs, learningRate, warmupShare,
        weightDecay, studentTemperature, teacherTemperature, distillationWeight, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }

  public TrainerConfig withLengths(int queryTokens, int passageTokens) {
    return new TrainerConfig(batchQueries, positivesPerQuery, negativesPerQuery, maxSteps, epochs, learningRate, warmupShare,
        weightDecay, temperature, teacherTemperature, distillationWeight, queryTokens, passageTokens, checkpointEvery, seed);
  }

  public TrainerConfig withSchedule(int epochs, float learningRate, int checkpointEvery) {
    return new TrainerConfig(batchQueries, positivesPerQuery, negativesPerQuery, maxSteps, epochs, learningRate, warmupShare,
        weightDecay, temperature, teacherTemperature, distillationWeight, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }
}

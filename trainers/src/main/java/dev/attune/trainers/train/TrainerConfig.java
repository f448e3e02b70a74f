package dev.attune.trainers.train;

/**
 * Fine-tuning settings. Defaults fit a 2-core CPU; the paper values are in ../shared/papers.md.
 *
 * @param batchQueries queries per step (each with 1 positive and {@code negativesPerQuery} negatives)
 * @param negativesPerQuery hard negatives per query; missing ones are padded and masked
 * @param maxSteps cap on optimiser steps per training run
 * @param epochs passes over the examples (before the cap)
 * @param learningRate Adam learning rate
 * @param temperature student temperature τ on cosine similarity
 * @param teacherTemperature teacher temperature on LLM scores
 * @param klWeight weight of the KL distillation term next to InfoNCE
 * @param maxQueryTokens query truncation
 * @param maxPassageTokens passage truncation
 * @param seed sampling seed
 */
public record TrainerConfig(
    int batchQueries,
    int negativesPerQuery,
    int maxSteps,
    int epochs,
    float learningRate,
    float temperature,
    float teacherTemperature,
    float klWeight,
    int maxQueryTokens,
    int maxPassageTokens,
    long seed) {

  public TrainerConfig {
    if (batchQueries < 2) throw new IllegalArgumentException("batchQueries (" + batchQueries + ") must be >= 2 for in-batch negatives");
    if (negativesPerQuery < 0) throw new IllegalArgumentException("negativesPerQuery (" + negativesPerQuery + ") must be >= 0");
    if (maxSteps < 1) throw new IllegalArgumentException("maxSteps (" + maxSteps + ") must be >= 1");
    if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate (" + learningRate + ") must be > 0");
    if (!(temperature > 0) || !(teacherTemperature > 0)) {
      throw new IllegalArgumentException("temperatures (" + temperature + ", " + teacherTemperature + ") must be > 0");
    }
  }

  public static TrainerConfig defaults() {
    return new TrainerConfig(8, 3, 60, 1, 2e-5f, 0.05f, 1.0f, 1.0f, 48, 256, 42L);
  }

  public TrainerConfig withMaxSteps(int steps) {
    return new TrainerConfig(batchQueries, negativesPerQuery, steps, epochs, learningRate, temperature,
        teacherTemperature, klWeight, maxQueryTokens, maxPassageTokens, seed);
  }

  public TrainerConfig withBatch(int queries, int negatives) {
    return new TrainerConfig(queries, negatives, maxSteps, epochs, learningRate, temperature,
        teacherTemperature, klWeight, maxQueryTokens, maxPassageTokens, seed);
  }

  public TrainerConfig withLengths(int queryTokens, int passageTokens) {
    return new TrainerConfig(batchQueries, negativesPerQuery, maxSteps, epochs, learningRate, temperature,
        teacherTemperature, klWeight, queryTokens, passageTokens, seed);
  }
}

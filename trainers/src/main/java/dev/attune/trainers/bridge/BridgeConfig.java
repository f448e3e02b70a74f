package dev.attune.trainers.bridge;

import dev.attune.models.bridge.BridgeExample;
import dev.attune.schemas.SilverSequence;

/**
 * Shape and training of the bridge (see {@link PointerDecoder} and {@link BridgeTrainer}).
 *
 * @param candidates retrieved passages the bridge reads (the retriever's top N)
 * @param maxLength longest sequence it emits; at that length only STOP is allowed
 * @param maxRepeats copies of one passage a sequence may hold
 * @param hidden width of the decoder's hidden layers
 * @param batchQueries queries per optimiser step, both stages
 * @param supervisedEpochs passes over the silver sequences (teacher forcing)
 * @param supervisedLearningRate peak AdamW rate of the supervised stage
 * @param reinforceEpochs passes over the queries with sampled sequences (REINFORCE)
 * @param samplesPerQuery sequences sampled per query and step of the RL stage
 * @param reinforceLearningRate peak AdamW rate of the RL stage
 * @param baselineMomentum weight of the old value in the moving-average reward baseline
 * @param encoderLearningRate 0 keeps the retriever encoder frozen (embeddings computed once); above
 *     0 the encoder is fine-tuned with the bridge at this peak rate and saved with it
 * @param maxQueryTokens tokens of a query the encoder reads
 * @param maxPassageTokens tokens of a passage the encoder reads
 * @param checkpointEvery batches between checkpoints (0 = none)
 * @param seed initial weights, batch order and sampling
 */
public record BridgeConfig(
    int candidates, int maxLength, int maxRepeats, int hidden, int batchQueries,
    int supervisedEpochs, float supervisedLearningRate,
    int reinforceEpochs, int samplesPerQuery, float reinforceLearningRate, double baselineMomentum, float encoderLearningRate,
    int maxQueryTokens, int maxPassageTokens, int checkpointEvery, long seed) {

  public BridgeConfig {
    positive("candidates", candidates);
    positive("maxLength", maxLength);
    positive("maxRepeats", maxRepeats);
    positive("hidden", hidden);
    positive("batchQueries", batchQueries);
    positive("samplesPerQuery", samplesPerQuery);
    positive("maxQueryTokens", maxQueryTokens);
    positive("maxPassageTokens", maxPassageTokens);
    if (supervisedEpochs < 0 || reinforceEpochs < 0) throw new IllegalArgumentException("epochs must be >= 0");
    if (!(supervisedLearningRate > 0 && reinforceLearningRate > 0)) throw new IllegalArgumentException("learning rates must be > 0");
    if (!(baselineMomentum >= 0 && baselineMomentum < 1)) throw new IllegalArgumentException("baselineMomentum (" + baselineMomentum + ") must be in [0, 1)");
    if (!(encoderLearningRate >= 0)) throw new IllegalArgumentException("encoderLearningRate (" + encoderLearningRate + ") must be >= 0");
    if (checkpointEvery < 0) throw new IllegalArgumentException("checkpointEvery must be >= 0");
  }

  /** A mined silver sequence as this bridge reads it: its first {@link #candidates}, the sequence cut to what it may emit. */
  public BridgeExample example(SilverSequence s) {
    return BridgeExample.of(s, candidates, maxLength, maxRepeats);
  }

  private static void positive(String name, int value) {
    if (value < 1) throw new IllegalArgumentException(name + " (" + value + ") must be >= 1");
  }

  /** Sized for the CPU: ten candidates, sequences up to eight, a 128-wide decoder, the encoder frozen. */
  public static BridgeConfig defaults() {
    return new BridgeConfig(10, 8, 2, 128, 16, 30, 1e-3f, 60, 4, 2e-4f, 0.9, 0f, 48, 256, 50, 42);
  }

  public BridgeConfig withEpochs(int supervised, int reinforce) {
    return new BridgeConfig(candidates, maxLength, maxRepeats, hidden, batchQueries, supervised, supervisedLearningRate,
        reinforce, samplesPerQuery, reinforceLearningRate, baselineMomentum, encoderLearningRate, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }

  public BridgeConfig withLengths(int maxQueryTokens, int maxPassageTokens) {
    return new BridgeConfig(candidates, maxLength, maxRepeats, hidden, batchQueries, supervisedEpochs, supervisedLearningRate,
        reinforceEpochs, samplesPerQuery, reinforceLearningRate, baselineMomentum, encoderLearningRate, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }

  public BridgeConfig withCheckpointEvery(int batches) {
    return new BridgeConfig(candidates, maxLength, maxRepeats, hidden, batchQueries, supervisedEpochs, supervisedLearningRate,
        reinforceEpochs, samplesPerQuery, reinforceLearningRate, baselineMomentum, encoderLearningRate, maxQueryTokens, maxPassageTokens, batches, seed);
  }

  /** Fine-tunes the retriever encoder with the bridge at {@code rate} (0: frozen). */
  public BridgeConfig withEncoderLearningRate(float rate) {
    return new BridgeConfig(candidates, maxLength, maxRepeats, hidden, batchQueries, supervisedEpochs, supervisedLearningRate,
        reinforceEpochs, samplesPerQuery, reinforceLearningRate, baselineMomentum, rate, maxQueryTokens, maxPassageTokens, checkpointEvery, seed);
  }

  /** Decoder steps per sequence: up to {@code maxLength} passages, then STOP. */
  public int steps() {
    return maxLength + 1;
  }
}

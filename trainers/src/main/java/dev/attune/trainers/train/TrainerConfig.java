package dev.attune.trainers.train;

/**
 * Fine-tuning settings. Defaults fit a 2-core CPU; the paper values are in ../shared/papers.md.
 * Change one with {@link #toBuilder()}: {@code config.toBuilder().temperature(0.05f).build()}.
 *
 * @param batchQueries queries per step, all from one task
 * @param positivesPerQuery positives per query that are contrastive targets (human labels ∪ the LLM's top picks, in {@code positiveOrder}); the others are never negatives
 * @param negativesPerQuery negative slots per query in a full round (LLM-dispreferred, then sampled, then least preferred); a query-side round sees the whole index instead
 * @param maxSteps cap on optimiser steps per training run; it never cuts the first epoch, so every example is trained on
 * @param epochs passes over the run's examples (before the cap)
 * @param learningRate peak AdamW learning rate
 * @param warmupShare share of the run's steps spent warming the learning rate up linearly
 * @param weightDecay decoupled weight decay
 * @param temperature student temperature τ on cosine similarity
 * @param teacherTemperature teacher temperature T on LLM scores
 * @param distillationWeight weight of the task's distillation term next to the contrastive loss
 * @param maxQueryTokens query truncation
 * @param maxPassageTokens passage truncation in a full round (a query-side round encodes no passage)
 * @param checkpointEvery save weights, optimiser state and position every this many batches (0 = never)
 * @param seed batch order (and adapter initialisation)
 * @param positiveOrder which positives come first when there are more than {@code positivesPerQuery}
 * @param queryTuning which weights of the query tower a query-side round trains
 * @param corpusKeys a query-side round uses the whole index as every query's softmax denominator up
 *     to this many passages; above it, each query's {@code neighbourKeys} nearest passages and the
 *     batch's mined candidates
 * @param neighbourKeys nearest passages per query when the index exceeds {@code corpusKeys}
 * @param gradientChunk texts per forward pass with gradient caching ({@link GradientCache}): a step's
 *     memory is bounded by the chunk instead of the batch, for one more forward pass; 0 = none, the
 *     whole batch in one pass
 * @param batchByMemory on a GPU, a full round's batch is as many queries as the device's free memory
 *     takes ({@link TrainingMemory}), {@code batchQueries} on the CPU
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
    long seed,
    PositiveOrder positiveOrder,
    QueryTuning queryTuning,
    int corpusKeys,
    int neighbourKeys,
    int gradientChunk,
    boolean batchByMemory) {

  /** When a query has more positives than target slots, which train. */
  public enum PositiveOrder {
    /** The human labels, then the LLM's picks best first (the miner's order). */
    HUMAN_FIRST,
    /** The LLM's picks best first, then the human labels. */
    LLM_FIRST
  }

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
    if (!(distillationWeight >= 0)) throw new IllegalArgumentException("distillationWeight (" + distillationWeight + ") must be >= 0");
    if (checkpointEvery < 0) throw new IllegalArgumentException("checkpointEvery (" + checkpointEvery + ") must be >= 0");
    if (positiveOrder == null || queryTuning == null) throw new IllegalArgumentException("positiveOrder and queryTuning are required");
    if (corpusKeys < 1 || neighbourKeys < 1) {
      throw new IllegalArgumentException("corpusKeys (" + corpusKeys + ") and neighbourKeys (" + neighbourKeys + ") must be >= 1");
    }
    if (gradientChunk < 0) throw new IllegalArgumentException("gradientChunk (" + gradientChunk + ") must be >= 0 (0: no gradient caching)");
  }

  /**
   * The recipe chosen by measurement (trainers/README.md, Figures): 16 queries a step, the first
   * positive (the human label when there is one) as target, τ 0.02, lr 5e-5, every weight of the
   * query tower, no distillation weight (distilling the offline scorer's teacher cost nDCG and did
   * not raise its own utility measure). A full round's 16 × (1 + 1) passages of up to 192 tokens fit
   * a 24 GB machine next to broker, Flink and serving in one JVM.
   */
  public static TrainerConfig defaults() {
    return new TrainerConfig(16, 1, 1, 60, 1, 5e-5f, 0.1f, 0.01f, 0.02f, 1.0f, 0.0f, 48, 192, 20, 42L,
        PositiveOrder.HUMAN_FIRST, QueryTuning.ALL, 500_000, 256, 0, false);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public TrainerConfig withMaxSteps(int steps) {
    return toBuilder().maxSteps(steps).build();
  }

  public TrainerConfig withBatch(int queries, int positives, int negatives) {
    return toBuilder().batchQueries(queries).positivesPerQuery(positives).negativesPerQuery(negatives).build();
  }

  public TrainerConfig withTemperature(float studentTemperature) {
    return toBuilder().temperature(studentTemperature).build();
  }

  public TrainerConfig withLengths(int queryTokens, int passageTokens) {
    return toBuilder().maxQueryTokens(queryTokens).maxPassageTokens(passageTokens).build();
  }

  public TrainerConfig withSchedule(int epochs, float learningRate, int checkpointEvery) {
    return toBuilder().epochs(epochs).learningRate(learningRate).checkpointEvery(checkpointEvery).build();
  }

  /** A copy with some settings changed; {@link #build} validates. */
  public static final class Builder {
    private int batchQueries, positivesPerQuery, negativesPerQuery, maxSteps, epochs, maxQueryTokens, maxPassageTokens, checkpointEvery;
    private float learningRate, warmupShare, weightDecay, temperature, teacherTemperature, distillationWeight;
    private long seed;
    private PositiveOrder positiveOrder;
    private QueryTuning queryTuning;
    private int corpusKeys, neighbourKeys, gradientChunk;
    private boolean batchByMemory;

    private Builder(TrainerConfig c) {
      batchQueries = c.batchQueries;
      positivesPerQuery = c.positivesPerQuery;
      negativesPerQuery = c.negativesPerQuery;
      maxSteps = c.maxSteps;
      epochs = c.epochs;
      learningRate = c.learningRate;
      warmupShare = c.warmupShare;
      weightDecay = c.weightDecay;
      temperature = c.temperature;
      teacherTemperature = c.teacherTemperature;
      distillationWeight = c.distillationWeight;
      maxQueryTokens = c.maxQueryTokens;
      maxPassageTokens = c.maxPassageTokens;
      checkpointEvery = c.checkpointEvery;
      seed = c.seed;
      positiveOrder = c.positiveOrder;
      queryTuning = c.queryTuning;
      corpusKeys = c.corpusKeys;
      neighbourKeys = c.neighbourKeys;
      gradientChunk = c.gradientChunk;
      batchByMemory = c.batchByMemory;
    }

    public Builder batchQueries(int v) { batchQueries = v; return this; }
    public Builder positivesPerQuery(int v) { positivesPerQuery = v; return this; }
    public Builder negativesPerQuery(int v) { negativesPerQuery = v; return this; }
    public Builder maxSteps(int v) { maxSteps = v; return this; }
    public Builder epochs(int v) { epochs = v; return this; }
    public Builder learningRate(float v) { learningRate = v; return this; }
    public Builder warmupShare(float v) { warmupShare = v; return this; }
    public Builder weightDecay(float v) { weightDecay = v; return this; }
    public Builder temperature(float v) { temperature = v; return this; }
    public Builder teacherTemperature(float v) { teacherTemperature = v; return this; }
    public Builder distillationWeight(float v) { distillationWeight = v; return this; }
    public Builder maxQueryTokens(int v) { maxQueryTokens = v; return this; }
    public Builder maxPassageTokens(int v) { maxPassageTokens = v; return this; }
    public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder positiveOrder(PositiveOrder v) { positiveOrder = v; return this; }
    public Builder queryTuning(QueryTuning v) { queryTuning = v; return this; }
    public Builder corpusKeys(int v) { corpusKeys = v; return this; }
    public Builder neighbourKeys(int v) { neighbourKeys = v; return this; }
    public Builder gradientChunk(int v) { gradientChunk = v; return this; }
    public Builder batchByMemory(boolean v) { batchByMemory = v; return this; }

    public TrainerConfig build() {
      return new TrainerConfig(batchQueries, positivesPerQuery, negativesPerQuery, maxSteps, epochs, learningRate, warmupShare, weightDecay,
          temperature, teacherTemperature, distillationWeight, maxQueryTokens, maxPassageTokens, checkpointEvery, seed, positiveOrder,
          queryTuning, corpusKeys, neighbourKeys, gradientChunk, batchByMemory);
    }
  }
}

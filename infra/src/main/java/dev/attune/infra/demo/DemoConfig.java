package dev.attune.infra.demo;

import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.trainers.bridge.BridgeConfig;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.RetrieverPromotion;
import dev.attune.trainers.train.RoundSchedule;
import dev.attune.trainers.train.TrainerConfig;
import java.nio.file.Path;

/**
 * Size of a local run of the whole loop.
 *
 * @param workDir broker log, state, indexes and models go here
 * @param articles SQuAD articles whose passages form the corpus (0 = all 48)
 * @param replayQueries queries replayed as live traffic
 * @param evalQueries held-out queries (never replayed) for the quality table
 * @param referenceQueries further never-replayed queries: the trainer's fixed reference set
 * @param triggerExamples the trainer trains once this many new examples arrived
 * @param rounds training rounds to wait for
 * @param k passages retrieved (and LLM-scored) per query
 * @param holdoutPercent share of traffic examples the trainer keeps for its promotion decision
 * @param promotion when a candidate replaces the serving model
 * @param schedule which rounds are query-side and which full
 * @param training fine-tuning settings
 * @param tasks task instructions and losses, for trainer and serving alike
 * @param base the pretrained retriever every version descends from
 * @param qdrant serving keeps its indexes in this Qdrant server (null: embedded Lucene)
 * @param bridge after the retriever round, train a BGM bridge on the mined silver sequences with
 *     these settings, then serve it (null: no bridge)
 */
public record DemoConfig(
    Path workDir, int articles, int replayQueries, int evalQueries, int referenceQueries, int triggerExamples, int rounds, int k,
    int holdoutPercent, RetrieverPromotion promotion, RoundSchedule schedule, TrainerConfig training, Tasks tasks, ModelSpec base, QdrantVectorStore.Config qdrant,
    BridgeConfig bridge) {

  /**
   * The default demo: the whole bundled corpus (48 articles, 2,067 passages) with traffic spread
   * over it, as production traffic is, which query-side rounds make affordable: one round trains
   * on about 5,400 examples in minutes and serving swaps in its query encoder without re-embedding.
   * The trainer's trigger of 5,300 lies four standard deviations below the ~5,400 examples the 10%
   * hold-out leaves of 6,000 (request ids are random), so the round takes nearly all the traffic.
   */
  public static DemoConfig standard(Path workDir) {
    return new DemoConfig(workDir, 0, 6000, 1000, 200, 5300, 1, 10, 10, RetrieverPromotion.defaults(), RoundSchedule.defaults(),
        TrainerConfig.defaults(), Tasks.defaults(), ModelSpec.BGE_SMALL_EN_V15, null, null);
  }

  public static DemoConfig quick(Path workDir) {
    return new DemoConfig(workDir, 4, 240, 80, 60, 180, 1, 10, 10, RetrieverPromotion.defaults(), RoundSchedule.defaults(),
        TrainerConfig.defaults().withBatch(12, 1, 1).withLengths(40, 192), Tasks.defaults(), ModelSpec.BGE_SMALL_EN_V15, null, null);
  }

  /**
   * The smallest loop that still trains, decides and swaps, for tests. Its margin of −1 and
   * tolerance of 1 promote any candidate, so a few optimiser steps always exercise the swap path.
   * The trigger of 12 lies well below the ~18 of 24 examples the 25% hold-out leaves on average
   * (request ids are random): at 16, about one run in eight kept fewer and never trained.
   */
  public static DemoConfig tiny(Path workDir) {
    return new DemoConfig(workDir, 1, 24, 12, 8, 12, 1, 5, 25, new RetrieverPromotion(-1.0, 1.0, 0), RoundSchedule.defaults(),
        TrainerConfig.defaults().withMaxSteps(2).withBatch(4, 1, 1).withLengths(32, 96), Tasks.defaults(), ModelSpec.BGE_SMALL_EN_V15, null, null);
  }

  /** Serving keeps its indexes in the Qdrant server described by {@code qdrant} instead of Lucene. */
  public DemoConfig withQdrant(QdrantVectorStore.Config qdrant) {
    return new DemoConfig(workDir, articles, replayQueries, evalQueries, referenceQueries, triggerExamples, rounds, k, holdoutPercent,
        promotion, schedule, training, tasks, base, qdrant, bridge);
  }

  public DemoConfig withTraining(TrainerConfig training) {
    return new DemoConfig(workDir, articles, replayQueries, evalQueries, referenceQueries, triggerExamples, rounds, k, holdoutPercent,
        promotion, schedule, training, tasks, base, qdrant, bridge);
  }

  /** Starts from another pretrained retriever (e.g. all-MiniLM-L6-v2, or a checkpoint directory). */
  public DemoConfig withBase(ModelSpec base) {
    return new DemoConfig(workDir, articles, replayQueries, evalQueries, referenceQueries, triggerExamples, rounds, k, holdoutPercent,
        promotion, schedule, training, tasks, base, qdrant, bridge);
  }

  /** Rounds of another kind, or on another schedule. */
  public DemoConfig withSchedule(RoundSchedule schedule) {
    return new DemoConfig(workDir, articles, replayQueries, evalQueries, referenceQueries, triggerExamples, rounds, k, holdoutPercent,
        promotion, schedule, training, tasks, base, qdrant, bridge);
  }

  public DemoConfig withBridge(BridgeConfig bridge) {
    return new DemoConfig(workDir, articles, replayQueries, evalQueries, referenceQueries, triggerExamples, rounds, k, holdoutPercent,
        promotion, schedule, training, tasks, base, qdrant, bridge);
  }
}

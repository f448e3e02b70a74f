package dev.attune.infra.demo;

import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.trainers.train.TrainerConfig;
import java.nio.file.Path;

/**
 * Size of a local run of the whole loop.
 *
 * @param workDir broker log, state, indexes and models go here
 * @param articles SQuAD articles whose passages form the corpus (0 = all 48)
 * @param replayQueries queries replayed as live traffic
 * @param evalQueries held-out queries (never replayed) for the quality table
 * @param triggerExamples the trainer trains once this many new examples arrived
 * @param rounds training rounds to wait for
 * @param k passages retrieved (and LLM-scored) per query
 * @param holdoutPercent share of traffic examples the trainer keeps for its promotion decision
 * @param promotionMargin nDCG@10 gain a candidate needs over the serving model
 * @param training fine-tuning settings
 */
public record DemoConfig(
    Path workDir, int articles, int replayQueries, int evalQueries, int triggerExamples, int rounds, int k,
    int holdoutPercent, double promotionMargin, TrainerConfig training, QdrantVectorStore.Config qdrant) {

  public static DemoConfig standard(Path workDir) {
    return new DemoConfig(workDir, 12, 480, 300, 400, 1, 10, 10, 0.0,
        TrainerConfig.defaults().withMaxSteps(40).withBatch(8, 2).withLengths(48, 256), null);
  }

  public static DemoConfig quick(Path workDir) {
    return new DemoConfig(workDir, 4, 120, 80, 90, 1, 10, 10, 0.0,
        TrainerConfig.defaults().withMaxSteps(12).withBatch(6, 2).withLengths(40, 192), null);
  }

  /**
   * The smallest loop that still trains, decides and swaps, for tests. Its margin of −1 promotes any
   * candidate, so two optimiser steps always exercise the swap path.
   */
  /** Serving keeps its indexes in the Qdrant server described by {@code qdrant} instead of Lucene. */
  public DemoConfig withQdrant(QdrantVectorStore.Config qdrant) {
    return new DemoConfig(workDir, articles, replayQueries, evalQueries, triggerExamples, rounds, k, holdoutPercent,
        promotionMargin, training, qdrant);
  }

  public static DemoConfig tiny(Path workDir) {
    return new DemoConfig(workDir, 1, 24, 12, 16, 1, 5, 25, -1.0,
        TrainerConfig.defaults().withMaxSteps(2).withBatch(4, 1).withLengths(32, 96), null);
  }
}

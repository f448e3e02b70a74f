package dev.attune.infra.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code attune} command: the whole loop locally, or one stage against external services. */
@Command(name = "attune", mixinStandardHelpOptions = true, version = "attune 0.1.0",
    description = "Tunes RAG retrievers to what the LLM uses, from live traffic.",
    subcommands = {DemoCommand.class, EvalCommand.class, ServeCommand.class,
        AssembleCommand.class, MineCommand.class, TrainCommand.class, ReplayCommand.class, BenchServingCommand.class,
        BenchMiningCommand.class, BackfillCommand.class, ModelsCommand.class, BenchTrainerCommand.class,
        EvalBridgeCommand.class, TrainBridgeCommand.class,
        EvalTrainerCommand.class, TopicsCommand.class, CorpusCommand.class, BenchReembedCommand.class,
        ScoreCommand.class, LlmServeCommand.class, BenchScoringCommand.class, ConsoleCommand.class})
public final class AttuneCli {
  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) {
    // JDK 17's HttpClient completes every sendAsync on CompletableFuture's default executor, which
    // is a new thread per task while the common pool has a single worker (2 CPUs or fewer): a
    // thread per LLM scoring response, 6,000 in the demo's replay. Two workers make it a pool.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    System.exit(new CommandLine(new AttuneCli()).execute(args));
  }
}
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
  public static void main(String[] args) {
    System.exit(new CommandLine(new AttuneCli()).execute(args));
  }

}
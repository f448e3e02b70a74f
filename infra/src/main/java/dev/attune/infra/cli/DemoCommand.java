package dev.attune.infra.cli;

import dev.attune.infra.demo.Demo;
import dev.attune.infra.demo.DemoConfig;
import dev.attune.trainers.train.RoundKind;
import dev.attune.trainers.train.RoundSchedule;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune demo}: the whole loop in this process, then a summary. */
@Command(name = "demo", description = "Run the whole loop in this process (broker, Streams, Flink MiniCluster, trainer, Lucene) and print a summary.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "Smaller corpus and fewer steps (a few minutes).") boolean quick;
  @Option(names = "--work-dir", defaultValue = ".attune/demo", description = "Where broker logs, state, models and indexes go (default: ${DEFAULT-VALUE}).") Path workDir;
  @CommandLine.Mixin TrainingOptions training;
  @Option(names = "--bridge", description = "Then train a BGM bridge on the mined silver sequences, print its comparison table and serve it.") boolean bridge;
  @Option(names = "--round", defaultValue = "query", description = "query (the round keeps the live index; serving swaps the query encoder alone) or full (both towers, re-index) (default: ${DEFAULT-VALUE}).")
  String round;
  @CommandLine.Mixin BaseModelOption baseModel;
  @CommandLine.Mixin StoreOptions storeOptions;

  @Override
  public Integer call() throws Exception {
    Lifecycle.deleteTree(workDir);
    try (StoreChoice store = storeOptions.open(workDir.resolve("qdrant"))) {
      DemoConfig config = (quick ? DemoConfig.quick(workDir) : DemoConfig.standard(workDir)).withQdrant(store.qdrant());
      config = config.withTraining(training.over(config.training()));
      if (bridge) config = config.withBridge(dev.attune.trainers.bridge.BridgeConfig.defaults());
      switch (round) {
        case "query" -> { }
        case "full" -> config = config.withSchedule(RoundSchedule.always(RoundKind.FULL));
        default -> throw new CommandLine.ParameterException(new CommandLine(this), "--round must be query or full, not " + round);
      }
      config = config.withBase(baseModel.spec());
      Demo.print(new Demo(config).run(), System.out);
    }
    return 0;
  }
}

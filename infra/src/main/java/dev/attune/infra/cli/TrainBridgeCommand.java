package dev.attune.infra.cli;

import dev.attune.infra.data.BeirDataset;
import dev.attune.schemas.Topics;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.PromotionPolicy;
import dev.attune.trainers.train.RetrieverTrainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune train-bridge}: bridge rounds against an external Kafka, once or at an interval. */
@Command(name = "train-bridge", description = "Run one bridge round against an external Kafka: train on the new silver sequences, judge on held-out ones, publish a BRIDGE model version; resumes an unfinished round.")
final class TrainBridgeCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @CommandLine.Mixin ModelsDirOption modelsDir;
  @Option(names = "--min-examples", defaultValue = "50", description = "New silver sequences a round needs (default: ${DEFAULT-VALUE}).") int minExamples;
  @Option(names = "--holdout", defaultValue = "20", description = "Percent of silver sequences held out for the decision (default: ${DEFAULT-VALUE}).") int holdout;
  @Option(names = "--margin", defaultValue = "0.0", description = "Held-out utility gain over the serving bridge (or top-k) required to promote (default: ${DEFAULT-VALUE}).") double margin;
  @Option(names = "--corpus", description = "BEIR directory whose corpus fits the offline scorer; default: the bundled SQuAD dev.") Path corpus;
  @CommandLine.Mixin BaseModelOption baseModel;
  @Option(names = "--every", description = "Keep running: look for a round at this interval (ISO-8601, e.g. PT10M) until interrupted; default: one round, then exit.") Duration every;
  @CommandLine.Mixin BridgeOptions bridge;
  @CommandLine.Mixin LlmOptions llm;

  @Override
  public Integer call() throws Exception {
    BeirDataset data = BeirDataset.fromDirectoryOrBundled(corpus);
    try (LlmScorer scorer = llm.open(data.corpus().passages().stream().map(p -> p.text()).toList())) {
      var config = new dev.attune.trainers.bridge.BridgeServiceConfig(kafka.settings(), Topics.defaults(), minExamples, holdout,
          new PromotionPolicy(dev.attune.trainers.bridge.BridgeEvaluation.UTILITY, margin, 0.01), bridge.topK(), bridge.config(), Tasks.defaults());
      var service = new dev.attune.trainers.bridge.BridgeService(config, modelsDir.registry(baseModel.spec()),
          llm.reward(scorer), RetrieverTrainer.StepListener.NONE);
      if (every == null) {
        round(service);
        return 0;
      }
      var scheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
      scheduler.scheduleWithFixedDelay(() -> {
        try {
          round(service);
        } catch (Exception e) {
          // A failed round leaves its state and checkpoint; the next look resumes it.
          System.err.println("bridge trainer: round failed, will retry: " + e);
        }
      }, 0, every.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      Lifecycle.blockUntilInterrupted(scheduler::shutdownNow);
      return 0;
    }
  }

  private static void round(dev.attune.trainers.bridge.BridgeService service) throws Exception {
    service.runRound().ifPresent(o -> dev.attune.infra.demo.BridgeTable.print(
        o.decision().getName() + " " + o.decision().getStatus() + ": " + o.decision().getReason(), o.table(), System.out));
  }
}

package dev.attune.infra.cli;

import dev.attune.streams.LocalFlink;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune mine}: the Flink mining job on a local MiniCluster, resumed from its checkpoints, exiting when it fails for good. */
@Command(name = "mine", description = "Run the Flink preference-mining job on a local MiniCluster against an external Kafka (or submit the streams job jar to a cluster).")
final class MineCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @Option(names = "--work-dir", defaultValue = ".attune/mine", description = "Where the job keeps its state (default: ${DEFAULT-VALUE}).") Path workDir;
  @Option(names = "--checkpoint-dir", description = "Checkpoints, kept across restarts and resumed from on start (default: <work-dir>/checkpoints).") Path checkpointDir;
  @CommandLine.Mixin LimitsOptions limits;
  @Option(names = "--metrics-port", description = "Serve the job's metrics for Prometheus on this port at /metrics (Flink's reporter; default: none).") Integer metricsPort;
  @Option(names = "--state-store", defaultValue = "HEAP", description = "HEAP or ROCKSDB (off-heap, incremental checkpoints: for state beyond the heap;"
      + " slower per record, see streams/README) (default: ${DEFAULT-VALUE}).") LocalFlink.StateStore stateStore;

  @Override
  public Integer call() throws Exception {
    MiningJobConfig defaults = MiningJobConfig.defaults(kafka.settings());
    MiningJobConfig config = defaults.withRules(defaults.rules().withLimits(limits.limits()));
    Path checkpoints = checkpointDir != null ? checkpointDir : workDir.resolve("checkpoints");
    var job = new PreferenceMiningJob(config).startLocal(checkpoints, dev.attune.streams.Restarts.defaults(), metricsPort, stateStore);
    System.out.println("mining job " + job.getJobID() + " running, checkpoints in " + checkpoints);
    // The job ends only by failing for good (its restarts spent) or by being cancelled: either way this process ends.
    CompletableFuture<String> ended = job.getJobExecutionResult()
        .handle((result, failure) -> "mining job ended: " + (failure == null ? "finished" : failure.getMessage()));
    var states = Lifecycle.reportStates("mining job", job);
    return Lifecycle.runUntilStopped(() -> {
      states.shutdownNow();
      if (!ended.isDone()) job.cancel().get();
    }, ended);
  }
}

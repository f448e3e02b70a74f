package dev.attune.streams;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import dev.attune.streams.mining.Checkpoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one of Attune's Flink jobs on an in-process MiniCluster, resuming from its own checkpoints. */
public final class LocalFlink {
  private static final Logger LOG = LoggerFactory.getLogger(LocalFlink.class);

  private LocalFlink() {}

  /** Where a local job keeps its keyed state. */
  public enum StateStore {
    /** On the heap: no (de)serialization per access, but every checkpoint writes all of it. */
    HEAP,
    /**
     * RocksDB on local disk with incremental checkpoints (only the files written since the last):
     * state larger than the heap and checkpoints that do not grow with it, at the price of
     * serializing on every state access (slower per record on this job; streams/README benchmark).
     */
    ROCKSDB
  }

  /**
   * Builds the job with {@code build} and starts it, returning at once; cancel it through the client.
   * Checkpoints go to files under {@code checkpointDir} and are kept when the process dies or the job
   * is cancelled; a start resumes from the latest complete one there ({@link Checkpoints}), so the
   * job's state and source offsets survive a restart or a kill -9. {@code store} says where keyed
   * state lives. A failed job restarts from its
   * latest checkpoint as {@code restarts} says, then fails for good (the caller exits on {@link
   * JobClient#getJobExecutionResult()}). With a {@code metricsPort}, Flink's Prometheus reporter
   * serves every metric of the job (its operators' own counts included) on that port at {@code
   * /metrics}, as a Flink cluster's reporter would.
   */
  public static JobClient start(String jobName, int parallelism, Path checkpointDir, Restarts restarts, Integer metricsPort,
      StateStore store, Consumer<StreamExecutionEnvironment> build) throws Exception {
    Configuration conf = new Configuration();
    if (metricsPort != null) {
      conf.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
      conf.setString("metrics.reporter.prom.port", String.valueOf(metricsPort));
    }
    // Any free port for the MiniCluster's REST endpoint: a fixed 8081 makes a second job on the host fail to start.
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, restarts.initialBackoff());
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, restarts.maxBackoff());
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, restarts.attempts());
    if (store == StateStore.ROCKSDB) {
      conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
      conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    }
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir.toAbsolutePath().toUri().toString());
    conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    Optional<Path> latest = Checkpoints.latest(checkpointDir);
    if (latest.isPresent()) {
      // CLAIM: the new job owns the restored checkpoint and deletes it once subsumed, so the directory does not grow.
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, latest.get().toUri().toString());
      conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
      LOG.info("{}: resuming from checkpoint {}", jobName, latest.get());
    } else {
      LOG.info("{}: no checkpoint under {}; starting from the committed offsets", jobName, checkpointDir);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    build.accept(env);
    return env.executeAsync(jobName);
  }
}

package dev.attune.infra.cli;

import dev.attune.streams.Restarts;
import dev.attune.streams.scoring.ScoringJob;
import dev.attune.streams.scoring.ScoringJobConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code attune score}: the scoring stage (a Flink job on a local MiniCluster, resumed from its
 * checkpoints): answers in, LLM feedback out, within a budget; prints what it spent and skipped.
 */
@Command(name = "score", description = "Run the LLM scoring stage: answers + retrievals in, per-passage answer log-likelihoods (LLM feedback) out, within a budget.")
final class ScoreCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @CommandLine.Mixin ScoringOptions scoring;
  @CommandLine.Mixin LimitsOptions limits;
  @Option(names = "--parallelism", defaultValue = "1", description = "Job parallelism; the budget is split among its tasks (default: ${DEFAULT-VALUE}).") int parallelism;
  @Option(names = "--work-dir", defaultValue = ".attune/score", description = "Where the job keeps its state (default: ${DEFAULT-VALUE}).") Path workDir;
  @Option(names = "--metrics-port", description = "Serve the job's metrics (its counts among them) for Prometheus on this port at /metrics (Flink's reporter; default: none).") Integer metricsPort;
  @Option(names = "--report-every-s", defaultValue = "30", description = "How often the counts are printed (default: ${DEFAULT-VALUE}).") long reportEveryS;

  @Override
  public Integer call() throws Exception {
    ScoringJobConfig defaults = ScoringJobConfig.defaults(kafka.settings(), scoring.config(limits.limits()));
    ScoringJobConfig config = new ScoringJobConfig(defaults.kafka(), defaults.topics(), defaults.groupId(), defaults.checkpointInterval(),
        parallelism, defaults.scoring());
    Path checkpoints = workDir.resolve("checkpoints");
    var job = new ScoringJob(config).startLocal(checkpoints, Restarts.defaults(), metricsPort);
    System.out.println("scoring job " + job.getJobID() + " running against " + config.scoring().endpoint().baseUrl()
        + " as " + config.scoring().llmId() + ", checkpoints in " + checkpoints);
    CompletableFuture<String> ended = job.getJobExecutionResult()
        .handle((result, failure) -> "scoring job ended: " + (failure == null ? "finished" : failure.getMessage()));
    var states = Lifecycle.reportStates("scoring job", job);
    states.scheduleWithFixedDelay(() -> {
      try {
        System.out.println("scoring: " + summary(ScoringJob.counts(job)));
      } catch (Exception e) {
        // Not running (restarting or ended): the state report says which.
      }
    }, reportEveryS, reportEveryS, TimeUnit.SECONDS);
    return Lifecycle.runUntilStopped(() -> {
      states.shutdownNow();
      if (!ended.isDone()) {
        // What this run spent and skipped, once more on the way out (the job's counts since it started).
        try {
          System.out.println("scoring, at stop: " + summary(ScoringJob.counts(job)));
        } catch (Exception e) {
          System.out.println("scoring, at stop: counts unavailable (" + e.getMessage() + ")");
        }
        job.cancel().get();
      }
    }, ended);
  }

  static String summary(Map<String, Long> c) {
    return String.format("%d feedback events, %d answers failed (dead-lettered); spent %d pairs, %d from the cache; skipped %d requests over budget, %d sampled out",
        c.getOrDefault("feedbackEmitted", 0L), c.getOrDefault("answersFailed", 0L), c.getOrDefault("pairsSent", 0L),
        c.getOrDefault("pairsCached", 0L), c.getOrDefault("requestsOverBudget", 0L), c.getOrDefault("answersSampledOut", 0L));
  }
}

package dev.attune.infra.cli;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** How a long-running command lives and ends, and the work directories commands start clean. */
final class Lifecycle {
  private Lifecycle() {}

  static void blockUntilInterrupted(AutoCloseable resource) throws Exception {
    runUntilStopped(resource, new CompletableFuture<>());
  }

  /** How long a stop waits for the stage to close (cancel its job, flush, report) before the JVM exits. */
  private static final long CLOSE_TIMEOUT_S = 60;

  /**
   * Runs until the process is interrupted (exit code 0) or {@code failure} completes with why the
   * stage gave up (exit code 1, so an orchestrator restarts it); closes {@code resource} either way.
   * On SIGTERM the shutdown hook waits for that close: the JVM exits once its hooks return, and
   * would otherwise cut the close short (a job not cancelled, a summary not printed).
   */
  static int runUntilStopped(AutoCloseable resource, CompletableFuture<String> failure) throws Exception {
    CompletableFuture<String> stop = new CompletableFuture<>();
    CompletableFuture<Void> closed = new CompletableFuture<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.complete(null);
      try {
        closed.get(CLOSE_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("stopping without a clean close: " + e);
      }
    }));
    String why;
    try {
      why = (String) CompletableFuture.anyOf(stop, failure).get();
    } finally {
      try {
        resource.close();
      } finally {
        closed.complete(null);
      }
    }
    if (why == null) return 0;
    System.err.println(why);
    return 1;
  }

  static void deleteTree(Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.exists(dir)) return;
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(p);
    }
  }

  /** Prints each change of a job's state (a restart after a failure shows as RESTARTING), for whoever watches the process. */
  static java.util.concurrent.ScheduledExecutorService reportStates(String name, org.apache.flink.core.execution.JobClient job) {
    var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name + "-state");
      t.setDaemon(true);
      return t;
    });
    String[] last = {null};
    timer.scheduleWithFixedDelay(() -> {
      try {
        String now = job.getJobStatus().get().name();
        if (!now.equals(last[0])) System.out.println(name + " " + (last[0] == null ? "" : last[0] + " -> ") + now);
        last[0] = now;
      } catch (Exception e) {
        // The job is gone; its end is reported through the execution result.
      }
    }, 0, 2, java.util.concurrent.TimeUnit.SECONDS);
    return timer;
  }
}

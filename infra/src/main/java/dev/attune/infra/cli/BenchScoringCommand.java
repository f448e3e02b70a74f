package dev.attune.infra.cli;

import dev.attune.infra.bench.ScoringBench;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attune bench-scoring}: the scoring stage's pairs/s against the local endpoint, and its overhead over direct calls. */
@Command(name = "bench-scoring", description = "Scored pairs/s of the scoring stage against the local endpoint at each concurrency, and its overhead per pair over calling the endpoint directly, in one run.")
final class BenchScoringCommand implements Callable<Integer> {
  @Option(names = "--work-dir", defaultValue = ".attune/bench-scoring") Path workDir;
  @Option(names = "--requests", defaultValue = "1500", description = "Answered requests per run (default: ${DEFAULT-VALUE}).") int requests;
  @Option(names = "--candidates", defaultValue = "10", description = "Passages per request (default: ${DEFAULT-VALUE}).") int candidates;
  @Option(names = "--batch", defaultValue = "16", description = "Prompts per HTTP request (default: ${DEFAULT-VALUE}).") int batch;
  @Option(names = "--concurrency", defaultValue = "1,4,16", split = ",", description = "HTTP concurrencies to measure (default: ${DEFAULT-VALUE}).") List<Integer> concurrencies;

  @Override
  public Integer call() throws Exception {
    Lifecycle.deleteTree(workDir);
    new ScoringBench(new ScoringBench.Config(workDir, requests, candidates, batch, concurrencies)).run(System.out);
    return 0;
  }
}

package dev.attune.infra.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attune bench-mining}: synthetic traffic through broker, assembler and mining job in this process. */
@Command(name = "bench-mining", description = "Synthetic traffic through broker, assembler and mining job in this process; prints episodes/s, examples/s, p50/p99 latency, the raw broker ceiling and the miner alone's examples/s.")
final class BenchMiningCommand implements Callable<Integer> {
  @Option(names = "--work-dir", defaultValue = ".attune/bench-mining") Path workDir;
  @Option(names = "--requests", defaultValue = "5000", description = "Requests to push, four events each (default: ${DEFAULT-VALUE}).") int requests;
  @Option(names = "--candidates", defaultValue = "10", description = "Retrieved and LLM-scored passages per request (default: ${DEFAULT-VALUE}).") int candidates;
  @Option(names = "--corpus", defaultValue = "5000", description = "Passages in the synthetic corpus (default: ${DEFAULT-VALUE}).") int corpus;
  @Option(names = "--checkpoint-ms", defaultValue = "1000", description = "Mining job checkpoint (= commit) interval (default: ${DEFAULT-VALUE}).") long checkpointMs;
  @Option(names = "--rate", defaultValue = "0", description = "Requests per second; 0 sends a burst (default: ${DEFAULT-VALUE}).") double rate;
  @Option(names = "--state-store", defaultValue = "HEAP", description = "The mining job's state: HEAP or ROCKSDB (default: ${DEFAULT-VALUE}).")
  dev.attune.streams.LocalFlink.StateStore stateStore;
  @Option(names = "--warm-up", defaultValue = "10000",
      description = "Requests mined before the timed traffic, sent as it is (burst or --rate), so it meets JIT-compiled code as a long-running pipeline does; 0 measures a cold JVM (default: ${DEFAULT-VALUE}).")
  int warmUp;

  @Override
  public Integer call() throws Exception {
    Lifecycle.deleteTree(workDir);
    var result = new dev.attune.infra.bench.MiningBench(new dev.attune.infra.bench.MiningBench.Config(
        workDir, requests, candidates, corpus, Duration.ofMillis(checkpointMs), rate, stateStore, warmUp)).run(System.out);
    return result.deadLetters() == 0 ? 0 : 1;
  }
}

package dev.attune.infra.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune bench-serving}: fixed-rate queries through a swap, on Lucene and a real Qdrant. */
@Command(name = "bench-serving", description = "Queries at a fixed rate through a swap (full: re-embedding; query-side: one query encoder), on Lucene and a real Qdrant; prints p50/p99 per phase, failed and unpaired responses, swap time, raw search throughput.")
final class BenchServingCommand implements Callable<Integer> {
  @Option(names = "--work-dir", defaultValue = ".attune/bench-serving") Path workDir;
  @Option(names = "--articles", defaultValue = "4", description = "SQuAD articles in the corpus (default: ${DEFAULT-VALUE}).") int articles;
  @Option(names = "--rate", defaultValue = "10", description = "Requests per second (default: ${DEFAULT-VALUE}).") double rate;
  @Option(names = "--steady-seconds", defaultValue = "15", description = "Length of the before and after phases (default: ${DEFAULT-VALUE}).") int steady;
  @Option(names = "--stores", defaultValue = "lucene,qdrant", split = ",", description = "Stores to measure (default: ${DEFAULT-VALUE}).") java.util.List<String> stores;
  @Option(names = "--swap", defaultValue = "full", description = "full (the new version re-embeds the corpus) or query-side (its query encoder alone, on the live index) (default: ${DEFAULT-VALUE}).")
  String swap;
  @Option(names = "--passages", defaultValue = "0", description = "With --swap query-side: pad the index with synthetic passages up to this size (imported, not embedded) (default: ${DEFAULT-VALUE}: the articles' passages only).")
  int passages;

  @Override
  public Integer call() throws Exception {
    if (!swap.equals("full") && !swap.equals("query-side")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--swap must be full or query-side, not " + swap);
    }
    if (passages > 0 && swap.equals("full")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--passages pads an imported index: it needs --swap query-side");
    }
    Lifecycle.deleteTree(workDir);
    var results = new dev.attune.infra.bench.SwapBench(new dev.attune.infra.bench.SwapBench.Config(workDir, articles, rate,
        Duration.ofSeconds(steady), Duration.ofSeconds(5), stores, swap.equals("query-side"), passages)).run(System.out);
    return results.stream().allMatch(r -> r.failed().values().stream().allMatch(f -> f == 0)
        && r.mixed().values().stream().allMatch(m -> m == 0)) ? 0 : 1;
  }
}

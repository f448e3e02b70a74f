package dev.attune.infra.cli;

import dev.attune.infra.bench.ReembedBench;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attune bench-reembed}: a full round's re-embedding in one process and on a standalone Flink cluster. */
@Command(name = "bench-reembed", description = "Re-embeds the same SQuAD passages in one process and as the re-embedding job on a standalone"
    + " Flink cluster (JobManager and TaskManager processes, two slots) at each parallelism; prints passages/s.")
final class BenchReembedCommand implements Callable<Integer> {
  @Option(names = "--work-dir", defaultValue = ".attune/bench-reembed") Path workDir;
  @Option(names = "--passages", defaultValue = "600", description = "SQuAD passages to embed (default: ${DEFAULT-VALUE}).") int passages;
  @Option(names = "--parallelism", defaultValue = "1,2", split = ",", description = "Parallelisms to run the job at (default: ${DEFAULT-VALUE}).")
  List<Integer> parallelisms;
  @Option(names = "--threads-per-slot", defaultValue = "1", description = "ONNX Runtime threads of each parallel embedder (default: ${DEFAULT-VALUE}).")
  int threads;
  @Option(names = "--reembed-jar", description = "The re-embedding job jar (default: reindex/target/attune-reindex-*-job.jar).") Path jobJar;

  @Override
  public Integer call() throws Exception {
    Lifecycle.deleteTree(workDir);
    new ReembedBench(new ReembedBench.Config(workDir, jobJar != null ? jobJar : ReembedOptions.defaultJobJar(), passages, parallelisms, threads))
        .run(System.out);
    return 0;
  }
}

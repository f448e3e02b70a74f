package dev.attune.infra.cli;

import dev.attune.serving.reembed.FlinkReembedder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Where a full round's index is embedded: in this process (default) or on a Flink cluster. */
final class ReembedOptions {
  @Option(names = "--reembed-on", description = "A Flink cluster's REST URL (e.g. http://jobmanager:8081): the indexer has the cluster embed each"
      + " trained version's index (the reindex job jar, on every TaskManager slot) instead of embedding it itself. The cluster needs"
      + " reindex/target/flink-lib/*.jar in its lib/ and, for an API key, QDRANT_API_KEY in its environment.")
  URI rest;
  @Option(names = "--reembed-jar", description = "The re-embedding job jar (default: reindex/target/attune-reindex-*-job.jar).") Path jobJar;
  @Option(names = "--reembed-parallelism", defaultValue = "2", description = "Parallel embedders, one per slot (default: ${DEFAULT-VALUE}).") int parallelism;
  @Option(names = "--reembed-threads-per-slot", defaultValue = "1", description = "ONNX Runtime threads of each embedder (default: ${DEFAULT-VALUE}).") int threads;
  @Option(names = "--reembed-timeout", defaultValue = "PT6H", description = "Longest a re-embedding job may run before it is cancelled (ISO-8601) (default: ${DEFAULT-VALUE}).") Duration timeout;
  @Option(names = "--reembed-kafka-config", defaultValue = "", description = "A Kafka client properties file on the cluster's machines, for a secured broker.") String kafkaConfig;

  /** The cluster settings, or null for embedding in this process. */
  FlinkReembedder.Config config(ModelsDirOption models) {
    if (rest == null) return null;
    return new FlinkReembedder.Config(rest, jobJar != null ? jobJar : defaultJobJar(), parallelism, threads, timeout, kafkaConfig, models.artifacts,
        models.endpoint == null ? "" : models.endpoint.toString(), models.region);
  }

  /** The job jar the build leaves in {@code reindex/target} (the launcher runs from the project's root). */
  static Path defaultJobJar() {
    try (Stream<Path> files = Files.list(Path.of("reindex", "target"))) {
      return files.filter(f -> f.getFileName().toString().matches("attune-reindex-.*-job\\.jar")).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no reindex/target/attune-reindex-*-job.jar: build the project, or give --reembed-jar"));
    } catch (IOException e) {
      throw new UncheckedIOException("no reindex/target: build the project, or give --reembed-jar", e);
    }
  }
}

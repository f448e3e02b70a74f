package dev.attune.streams.mining;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the checkpoint a restarted mining job resumes from: Flink writes {@code
 * <dir>/<job id>/chk-<n>/_metadata}, the metadata last, so a directory without it is a checkpoint
 * that was still being written when the process died and is passed over.
 */
public final class Checkpoints {
  private Checkpoints() {}

  /** The newest complete checkpoint under {@code dir} (by its metadata's time), or empty. */
  public static Optional<Path> latest(Path dir) {
    if (!Files.isDirectory(dir)) return Optional.empty();
    try (Stream<Path> jobs = Files.list(dir)) {
      return jobs.filter(Files::isDirectory)
          .flatMap(Checkpoints::complete)
          .max(Comparator.comparing(Checkpoints::written));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints under " + dir, e);
    }
  }

  private static Stream<Path> complete(Path jobDir) {
    try (Stream<Path> children = Files.list(jobDir)) {
      return children.filter(p -> p.getFileName().toString().startsWith("chk-") && Files.isRegularFile(p.resolve("_metadata")))
          .toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + jobDir, e);
    }
  }

  private static long written(Path checkpoint) {
    try {
      return Files.getLastModifiedTime(checkpoint.resolve("_metadata")).toMillis();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.attune.trainers.train;

import dev.attune.models.TensorFile;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Mid-run training state in one directory: weights, Adam moments, the plan position and the
 * fingerprint of the run's examples. Each save goes to a fresh {@code step-N} directory and then
 * moves the {@code LATEST} pointer atomically, so a kill at any moment leaves the previous
 * checkpoint intact.
 */
public final class TrainingCheckpoint {
  static final String LATEST = "LATEST";
  private final Path dir;

  public TrainingCheckpoint(Path dir) {
    this.dir = dir;
  }

  /** Where a run stands: batches of the plan consumed, optimiser steps taken, losses so far. */
  public record Position(int batches, int steps, int optimizerStep, double firstLoss, double lastLoss, String examplesFingerprint) {}

  /** A restored checkpoint. */
  public record Saved(Position position, Map<String, float[]> weights, Map<String, float[]> mean, Map<String, float[]> variance) {}

  /** Identifies a run's examples by their ids, so a checkpoint is never resumed on different data. */
  public static String fingerprint(List<String> exampleIds) {
    long h = 1125899906842597L;
    for (String id : exampleIds) h = 31 * h + id.hashCode();
    return exampleIds.size() + "-" + Long.toHexString(h);
  }

  public Path dir() {
    return dir;
  }

  public void save(Position position, Map<String, NDArray> weights, AdamW optimizer) {
    try {
      Files.createDirectories(dir);
      Path target = dir.resolve("step-" + position.batches());
      Path tmp = dir.resolve("step-" + position.batches() + ".part");
      deleteTree(tmp);
      Files.createDirectories(tmp);
      TensorFile.write(tmp.resolve("weights.bin"), floats(weights));
      TensorFile.write(tmp.resolve("mean.bin"), floats(optimizer.mean()));
      TensorFile.write(tmp.resolve("variance.bin"), floats(optimizer.variance()));
      Properties p = new Properties();
      p.setProperty("batches", String.valueOf(position.batches()));
      p.setProperty("steps", String.valueOf(position.steps()));
      p.setProperty("optimizerStep", String.valueOf(position.optimizerStep()));
      p.setProperty("firstLoss", String.valueOf(position.firstLoss()));
      p.setProperty("lastLoss", String.valueOf(position.lastLoss()));
      p.setProperty("examplesFingerprint", position.examplesFingerprint());
      try (Writer w = Files.newBufferedWriter(tmp.resolve("position.properties"))) {
        p.store(w, "Attune training checkpoint");
      }
      deleteTree(target);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      Path pointer = dir.resolve(LATEST + ".part");
      Files.writeString(pointer, target.getFileName().toString());
      Files.move(pointer, dir.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (Stream<Path> old = Files.list(dir)) {
        for (Path p2 : old.filter(f -> f.getFileName().toString().startsWith("step-") && !f.equals(target)).toList()) deleteTree(p2);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write training checkpoint to " + dir, e);
    }
  }

  /**
   * The last checkpoint of a run on the examples {@code fingerprint} names, if any; one taken on other
   * examples is an error, never silently resumed.
   */
  public Optional<Saved> loadFor(String fingerprint) {
    Optional<Saved> saved = load();
    saved.ifPresent(s -> {
      if (!s.position().examplesFingerprint().equals(fingerprint)) {
        throw new IllegalStateException("checkpoint in " + dir + " was taken on other examples (fingerprint "
            + s.position().examplesFingerprint() + ", this run " + fingerprint + "); delete it to start the run over");
      }
    });
    return saved;
  }

  public Optional<Saved> load() {
    Path pointer = dir.resolve(LATEST);
    if (!Files.exists(pointer)) return Optional.empty();
    try {
      Path step = dir.resolve(Files.readString(pointer).trim());
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(step.resolve("position.properties"))) {
        p.load(r);
      }
      Position position = new Position(
          Integer.parseInt(p.getProperty("batches")), Integer.parseInt(p.getProperty("steps")),
          Integer.parseInt(p.getProperty("optimizerStep")), Double.parseDouble(p.getProperty("firstLoss")),
          Double.parseDouble(p.getProperty("lastLoss")), p.getProperty("examplesFingerprint"));
      return Optional.of(new Saved(position, TensorFile.read(step.resolve("weights.bin")),
          TensorFile.read(step.resolve("mean.bin")), TensorFile.read(step.resolve("variance.bin"))));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("training checkpoint in " + dir + " is unreadable (" + e.getMessage()
          + "); delete the directory to start the run over", e);
    }
  }

  /** Removes all state, once the run's model is saved. */
  public void clear() {
    deleteTree(dir);
  }

  private static Map<String, float[]> floats(Map<String, NDArray> arrays) {
    Map<String, float[]> out = new LinkedHashMap<>();
    arrays.forEach((name, a) -> out.put(name, a.toFloatArray()));
    return out;
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) return;
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}

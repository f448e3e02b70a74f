package dev.attune.trainers.train;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The trainer's durable progress over the training-examples topic: per partition, the offset up to
 * which examples went into a finished round ({@code consumed}), and the round under way, if any,
 * with the offset range it covers. Written atomically (temp file, then rename): a round's range is
 * fixed before it trains, so a restarted trainer trains exactly that range, and the next round starts
 * where it ended — no example is trained twice, none is skipped.
 */
public record TrainerState(Map<Integer, Long> consumed, Round round) {
  static final String FILE = "trainer-state.properties";

  /**
   * A round: the version it produces, its parent, its kind (null for a bridge round, and for a
   * retriever round recorded before query-side rounds existed, which was full), and its examples
   * [from, until) per partition.
   */
  public record Round(int version, int parentVersion, RoundKind kind, Map<Integer, Long> from, Map<Integer, Long> until) {}

  public static TrainerState empty() {
    return new TrainerState(Map.of(), null);
  }

  public long consumed(int partition) {
    return consumed.getOrDefault(partition, 0L);
  }

  public TrainerState start(Round r) {
    return new TrainerState(consumed, r);
  }

  public TrainerState finish() {
    return new TrainerState(round.until(), null);
  }

  public static TrainerState load(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) return empty();
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read trainer state " + file, e);
    }
    String kind = p.getProperty("round.kind");
    Round round = p.getProperty("round.version") == null ? null : new Round(
        Integer.parseInt(p.getProperty("round.version")), Integer.parseInt(p.getProperty("round.parent")),
        kind == null ? null : RoundKind.valueOf(kind), offsets(p, "round.from."), offsets(p, "round.until."));
    return new TrainerState(offsets(p, "consumed."), round);
  }

  public void save(Path dir) {
    Properties p = new Properties();
    consumed.forEach((part, off) -> p.setProperty("consumed." + part, off.toString()));
    if (round != null) {
      p.setProperty("round.version", String.valueOf(round.version()));
      p.setProperty("round.parent", String.valueOf(round.parentVersion()));
      if (round.kind() != null) p.setProperty("round.kind", round.kind().name());
      round.from().forEach((part, off) -> p.setProperty("round.from." + part, off.toString()));
      round.until().forEach((part, off) -> p.setProperty("round.until." + part, off.toString()));
    }
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(FILE + ".part");
      try (Writer w = Files.newBufferedWriter(tmp)) {
        p.store(w, "Attune trainer progress over the training-examples topic");
      }
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write trainer state to " + dir, e);
    }
  }

  private static Map<Integer, Long> offsets(Properties p, String prefix) {
    Map<Integer, Long> out = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith(prefix)) out.put(Integer.parseInt(key.substring(prefix.length())), Long.parseLong(p.getProperty(key)));
    }
    return out;
  }
}

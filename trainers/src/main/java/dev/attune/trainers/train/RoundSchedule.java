package dev.attune.trainers.train;

import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;

import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import java.util.List;

/**
 * Which kind the next retriever round is. Query-side rounds keep the live index and cost no
 * re-embedding, so they are the default for continuous refresh; a full round re-trains both towers
 * and re-indexes. The next round is full when {@code kind} is, after {@code fullEvery} query-side
 * rounds on the serving index (0: never), or after {@code fullAfterRejections} query-side rounds
 * in a row on it were rejected (0: never): the query side alone has stopped gaining.
 */
public record RoundSchedule(RoundKind kind, int fullEvery, int fullAfterRejections) {
  /** The next round's kind and why. */
  public record Planned(RoundKind kind, String why) {}

  public RoundSchedule {
    if (kind == null) throw new IllegalArgumentException("kind is required");
    if (fullEvery < 0 || fullAfterRejections < 0) {
      throw new IllegalArgumentException("fullEvery (" + fullEvery + ") and fullAfterRejections (" + fullAfterRejections + ") must be >= 0");
    }
  }

  /** Query-side rounds; a full one after 10 on the same index, or after 2 rejected in a row. */
  public static RoundSchedule defaults() {
    return new RoundSchedule(RoundKind.QUERY_SIDE, 10, 2);
  }

  /** Every round of {@code kind}. */
  public static RoundSchedule always(RoundKind kind) {
    return new RoundSchedule(kind, 0, 0);
  }

  public Planned next(ModelLog log) {
    if (kind == RoundKind.FULL) return new Planned(RoundKind.FULL, "every round is full");
    int index = log.indexVersion(log.servingVersion());
    List<ModelVersion> on = log.querySideOn(index);
    if (fullEvery > 0 && on.size() >= fullEvery) {
      return new Planned(RoundKind.FULL, on.size() + " query-side rounds on " + ModelRegistry.name(index) + " (full every " + fullEvery + ")");
    }
    if (fullAfterRejections > 0 && on.size() >= fullAfterRejections
        && on.subList(on.size() - fullAfterRejections, on.size()).stream().allMatch(v -> v.getStatus() == ModelStatus.REJECTED)) {
      return new Planned(RoundKind.FULL, "the last " + fullAfterRejections + " query-side rounds on " + ModelRegistry.name(index) + " were rejected");
    }
    return new Planned(RoundKind.QUERY_SIDE, "keeps index " + ModelRegistry.name(index));
  }
}

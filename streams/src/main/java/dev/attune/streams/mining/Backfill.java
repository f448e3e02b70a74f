package dev.attune.streams.mining;

import java.io.Serializable;
import java.util.Objects;

/**
 * A bounded run of the mining job over a range of the episodes topic, e.g. to rebuild training data
 * after a rule change. The corpus is read from its start up to its end at launch, so examples use the
 * corpus as it is now; the job finishes when the range is mined.
 */
public record Backfill(OffsetSpec from, OffsetSpec to) implements Serializable {
  public Backfill {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (to.kind() == OffsetSpec.Kind.EARLIEST) throw new IllegalArgumentException("a backfill cannot stop at earliest");
  }
}

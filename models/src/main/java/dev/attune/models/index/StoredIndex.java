package dev.attune.models.index;

import java.util.List;
import java.util.Optional;

/** Where serving keeps its indexes, as the trainer may read them: the stored vectors of a complete index version. */
public interface StoredIndex {
  /** One stored passage: its id, the text its vector was embedded from, and the vector. */
  record Entry(String id, String embeddingText, float[] vector) {}

  /** Every passage of the index built by {@code model}, if the store holds a complete build of it. */
  Optional<List<Entry>> read(String model);
}

package dev.attune.serving.store;

import java.util.List;
import java.util.Optional;

/**
 * Versioned vector indexes: each model version gets its own index; exactly one is active. Vectors
 * are L2-normalised, so scores are cosine similarities.
 *
 * <p>Edge cases: {@code upsert} of an empty list is a no-op; {@code search} on an unknown version
 * throws {@link IllegalArgumentException}; {@code k} must be at least 1.
 */
public interface VectorStore extends AutoCloseable {
  /** Creates an empty index for {@code version}. Fails if it exists. */
  void create(String version, int dimension);

  void upsert(String version, List<StoredPassage> passages);

  void delete(String version, List<String> ids);

  long count(String version);

  List<SearchHit> search(String version, float[] query, int k);

  /** Makes {@code version} the active index in one step. */
  void activate(String version);

  Optional<String> active();

  List<String> versions();

  /** Removes an inactive version. Fails for the active one. */
  void drop(String version);

  @Override
  void close();
}

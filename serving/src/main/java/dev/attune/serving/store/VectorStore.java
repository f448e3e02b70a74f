package dev.attune.serving.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Versioned vector indexes: each model version gets its own index; exactly one is active, and the
 * active pointer survives a restart. Vectors are L2-normalised, so scores are cosine similarities.
 *
 * <p>The shared behaviour is fixed by {@code VectorStoreContract} in the tests. Edge cases:
 * {@code upsert} of an empty list is a no-op; operations on an unknown version throw
 * {@link IllegalArgumentException}; {@code k} must be at least 1.
 */
public interface VectorStore extends AutoCloseable {
  /** Creates an empty index for {@code version}. Fails if it exists. */
  void create(String version, int dimension);

  void upsert(String version, List<StoredPassage> passages);

  void delete(String version, List<String> ids);

  long count(String version);

  List<SearchHit> search(String version, float[] query, int k, SearchFilter filter);

  default List<SearchHit> search(String version, float[] query, int k) {
    return search(version, query, k, SearchFilter.NONE);
  }

  /**
   * Hands every passage of {@code version}, with its stored vector, to {@code sink} in chunks of at
   * most {@code batch} (in no particular order): what a query-side trainer reads instead of
   * re-embedding the corpus.
   */
  void scan(String version, int batch, java.util.function.Consumer<List<StoredPassage>> sink);

  /** Searches whatever version is active now, and says which one answered. */
  VersionedHits searchActive(float[] query, int k, SearchFilter filter);

  /** Makes {@code version} the active index in one atomic step. */
  void activate(String version);

  Optional<String> active();

  List<String> versions();

  /** Durable string metadata of a version (build state, corpus offsets, model); adds or overwrites the given keys. */
  void setMetadata(String version, Map<String, String> metadata);

  Map<String, String> metadata(String version);

  /** Removes an inactive version. Fails for the active one. */
  void drop(String version);

  @Override
  void close();
}

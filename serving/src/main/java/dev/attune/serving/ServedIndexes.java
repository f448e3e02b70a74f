package dev.attune.serving;

import java.util.Optional;

/**
 * What the API reads of a node's indexes, whatever its role: the indexer's {@link IndexManager}
 * (builds, catches up, switches) or a replica's {@link IndexFollower} (follows what the indexer
 * built, writes nothing).
 */
public interface ServedIndexes extends AutoCloseable {
  /** Reads the corpus and serves {@code desiredModel} (building it, or waiting for it, as the role needs); returns once a version is live. */
  IndexManager.Swap start(String desiredModel);

  /** The model log now names {@code model}: serve it when it can be. */
  void serve(String model);

  /** The live (query encoder, index) pair; empty while none is live yet. */
  Optional<ServingState> live();

  /** The live pair; throws while none is live yet. */
  default ServingState current() {
    return live().orElseThrow(() -> new IllegalStateException("no model is being served yet"));
  }

  Optional<ServingState> previous();

  /** The index or model being prepared now, if any. */
  Optional<String> building();

  /** Passages in the corpus as this node has read it. */
  int corpusSize();

  /**
   * Switches back to the previous version at once.
   *
   * @throws UnsupportedOperationException on a node that does not decide what is served (a replica)
   */
  IndexManager.Swap rollback();

  @Override
  void close();

  /** Closes and forgets every open encoder whose model is not in {@code used}. */
  static void closeUnused(java.util.Map<String, dev.attune.models.encoder.Encoder> encoders, java.util.Set<String> used) {
    encoders.entrySet().removeIf(e -> {
      if (used.contains(e.getKey())) return false;
      e.getValue().close();
      return true;
    });
  }
}

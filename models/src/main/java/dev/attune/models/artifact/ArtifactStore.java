package dev.attune.models.artifact;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Where trained models live between the trainer that writes them and the serving nodes that load
 * them. A {@code ModelVersion}'s {@code artifactUri} is what {@link #publish} returned; any process
 * turns it back into a verified local directory with {@link #fetch}. Every artifact carries a
 * {@link Manifest}; a copy that does not match it is refused.
 */
public interface ArtifactStore {
  /** Stores the model directory {@code dir} as {@code name} (e.g. {@code retriever-v3}); returns its URI. */
  URI publish(String name, Path dir) throws IOException;

  /** A local directory holding the artifact at {@code uri}, checked against its manifest. */
  Path fetch(URI uri) throws IOException;
}

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

  /**
   * The store named by {@code location}: {@code local} (artifacts stay where they were written) or
   * {@code s3://bucket[/prefix]} on AWS or the S3-compatible server at {@code endpoint} (null: AWS),
   * fetched copies kept under {@code cache}.
   */
  static ArtifactStore open(String location, URI endpoint, String region, Path cache) {
    return location.equals("local") ? new LocalArtifactStore() : S3ArtifactStore.connect(URI.create(location), endpoint, region, cache);
  }
}

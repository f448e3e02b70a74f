package dev.attune.models.artifact;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default: artifacts stay where the trainer wrote them ({@code file://} URIs), for one machine
 * or a shared disk. Publishing writes the manifest into the directory; fetching checks it (a
 * directory from before manifests existed is taken as it is).
 */
public final class LocalArtifactStore implements ArtifactStore {
  @Override
  public URI publish(String name, Path dir) throws IOException {
    Manifest.of(dir).writeTo(dir);
    return dir.toUri();
  }

  @Override
  public Path fetch(URI uri) throws IOException {
    if (!"file".equals(uri.getScheme())) throw new IllegalArgumentException("a local artifact store cannot fetch " + uri + "; configure the store it was published to");
    Path dir = Path.of(uri);
    if (!Files.isDirectory(dir)) throw new IOException("artifact " + uri + " is not a directory on this machine");
    if (Files.exists(dir.resolve(Manifest.FILE))) Manifest.read(dir).verify(dir);
    return dir;
  }
}

package dev.attune.models.registry;

import dev.attune.models.artifact.ArtifactStore;
import dev.attune.models.artifact.LocalArtifactStore;

import dev.attune.schemas.ModelKind;
import dev.attune.models.encoder.ModelSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Model directory: {@code retriever-v0} is the unpacked pretrained base, {@code retriever-vN} the
 * N-th fine-tuned candidate (ONNX graph with the new weights, tokenizer). A query-side version's
 * graph is its query encoder only; {@value #PAIRING_FILE} names the index it searches.
 */
public final class ModelRegistry {
  public static final String RETRIEVER = "retriever-v";
  public static final String BRIDGE = "bridge-v";
  private final Path root;
  private final ModelSpec spec;
  private final ArtifactStore artifacts;
  private static final LocalArtifactStore LOCAL = new LocalArtifactStore();

  /** Artifacts stay in {@code root} ({@code file://}): one machine or a shared disk. */
  public ModelRegistry(Path root, ModelSpec spec) {
    this(root, spec, new LocalArtifactStore());
  }

  /** Versions are published to, and fetched from, {@code artifacts} (e.g. an object store). */
  public ModelRegistry(Path root, ModelSpec spec, ArtifactStore artifacts) {
    this.root = root;
    this.spec = spec;
    this.artifacts = artifacts;
  }

  /** Where trained versions are published, and fetched from by URI. */
  public ArtifactStore artifacts() {
    return artifacts;
  }

  /** Publishes the model directory of {@code name}; returns the URI a {@code ModelVersion} records. */
  public String publish(String name, Path dir) {
    try {
      return artifacts.publish(name, dir).toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + name + " from " + dir, e);
    }
  }

  /**
   * A verified local copy of the artifact a {@code ModelVersion} names. A {@code file://} artifact is
   * read where it is whatever the configured store (versions published before a move to an object
   * store stay usable).
   */
  public Path fetch(String artifactUri) {
    java.net.URI uri = java.net.URI.create(artifactUri);
    try {
      return "file".equals(uri.getScheme()) ? LOCAL.fetch(uri) : artifacts.fetch(uri);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fetch model artifact " + artifactUri, e);
    }
  }

  /** Where the trainer keeps its progress and mid-round checkpoints. */
  public Path stateDir() {
    return root.resolve("trainer-state");
  }

  public ModelSpec spec() {
    return spec;
  }

  /** A retriever version's name, e.g. {@code retriever-v3}. */
  public static String name(int version) {
    return RETRIEVER + version;
  }

  /** A version's name by kind: {@code retriever-vN} or {@code bridge-vN}. */
  public static String name(ModelKind kind, int version) {
    return (kind == ModelKind.BRIDGE ? BRIDGE : RETRIEVER) + version;
  }

  /** Where bridge version {@code version} is kept (a decoder; version 0, no bridge, has none). */
  public Path bridgeDir(int version) {
    return root.resolve(BRIDGE + version);
  }

  /** Where the bridge trainer keeps its progress and mid-round checkpoints. */
  public Path bridgeStateDir() {
    return root.resolve("bridge-state");
  }

  public Path dir(int version) {
    Path dir = root.resolve(name(version));
    return version == 0 ? spec.materializeBase(dir) : dir;
  }

  /**
   * Copies the pretrained base as version {@code version}: a stand-in candidate whose swap does all
   * the real work (re-embedding, verification), for benchmarks and tests of serving.
   */
  public Path cloneBase(int version) {
    Path dir = root.resolve(name(version));
    try {
      Files.createDirectories(dir);
      try (Stream<Path> files = Files.list(dir(0))) {
        for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the base model to " + dir, e);
    }
  }

  /** Names, in a query-side version's directory, the index its query encoder searches. */
  public static final String PAIRING_FILE = "attune-index.properties";

  /** Records in {@code dir} that its query encoder searches the index of retriever version {@code indexVersion}. */
  public static void recordIndex(Path dir, int indexVersion) {
    try {
      Path tmp = dir.resolve(PAIRING_FILE + ".part");
      Files.writeString(tmp, "# The index (passage embeddings) this query encoder was trained against and must search\nindex=" + name(indexVersion) + "\n");
      Files.move(tmp, dir.resolve(PAIRING_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the index pairing in " + dir, e);
    }
  }

  /** The index a model directory's query encoder searches, when it records one (a query-side version): a version name. */
  public static java.util.Optional<String> recordedIndex(Path dir) {
    Path file = dir.resolve(PAIRING_FILE);
    if (!Files.exists(file)) return java.util.Optional.empty();
    java.util.Properties p = new java.util.Properties();
    try (var r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    String index = p.getProperty("index");
    if (index == null || !index.startsWith(RETRIEVER)) throw new IllegalStateException(file + " names no retriever index: " + index);
    return java.util.Optional.of(index.trim());
  }

  /** One more than the highest retriever version on disk. */
  public int nextVersion() {
    return nextVersion(RETRIEVER);
  }

  /** One more than the highest version on disk whose directory starts with {@code prefix}. */
  public synchronized int nextVersion(String prefix) {
    try {
      Files.createDirectories(root);
      try (Stream<Path> dirs = Files.list(root)) {
        return 1 + dirs.map(p -> p.getFileName().toString())
            .filter(n -> n.startsWith(prefix) && n.substring(prefix.length()).matches("\\d+"))
            .mapToInt(n -> Integer.parseInt(n.substring(prefix.length())))
            .max()
            .orElse(0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list model directory " + root, e);
    }
  }
}

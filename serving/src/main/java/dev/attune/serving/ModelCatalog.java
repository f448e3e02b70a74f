package dev.attune.serving;

import dev.attune.schemas.ModelVersion;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.registry.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each retriever's weights are (the pretrained base, and every version announced on the model
 * topic) and which index each one searches.
 */
public final class ModelCatalog {
  private final ModelRegistry registry;
  private final int maxTokens;
  private final Map<String, String> artifacts = new ConcurrentHashMap<>();
  private final Map<String, String> indexes = new ConcurrentHashMap<>();

  public ModelCatalog(ModelRegistry registry, int maxTokens) {
    this.registry = registry;
    this.maxTokens = maxTokens;
  }

  public static String baseName() {
    return ModelRegistry.name(0);
  }

  public void register(ModelVersion version) {
    artifacts.put(version.getName(), version.getArtifactUri());
    if (version.getIndexVersion() != null) indexes.put(version.getName(), ModelRegistry.name(version.getIndexVersion()));
  }

  /**
   * The index {@code name} searches, named after the version whose passage encoder builds it: its
   * own for a full version or the base, the one its query encoder was trained against for a
   * query-side version (followed until a version that embeds its own passages).
   */
  public String indexOf(String name) {
    String index = name;
    for (int hops = 0; hops <= indexes.size(); hops++) {
      String next = indexes.get(index);
      if (next == null || next.equals(index)) return index;
      index = next;
    }
    throw new IllegalStateException("the index pairing of " + name + " loops: " + indexes);
  }

  /** A verified local copy of a published artifact (a bridge's, too), from where the registry's store keeps them. */
  public Path fetch(String artifactUri) {
    return registry.fetch(artifactUri);
  }

  /** Where a trained version's artifact is published (none for the base, unpacked from the classpath). */
  public java.util.Optional<String> artifactOf(String name) {
    return java.util.Optional.ofNullable(artifacts.get(name));
  }

  public boolean knows(String name) {
    return name.equals(baseName()) || artifacts.containsKey(name);
  }

  /** Opens {@code name} under ONNX Runtime. */
  public Encoder open(String name) {
    String uri = artifacts.get(name);
    if (uri == null && !name.equals(baseName())) throw new IllegalArgumentException("unknown model " + name + "; known: " + artifacts.keySet());
    // Fetched (from an object store) and checked against its manifest before it is opened.
    Path dir = uri == null ? registry.dir(0) : registry.fetch(uri);
    // A directory records the spec it was trained with; older ones run as the registry's base.
    ModelSpec spec = ModelSpec.of(dir, registry.spec());
    try {
      return new OnnxEncoder(name, dir, spec, maxTokens);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open model " + name + " at " + dir, e);
    }
  }
}

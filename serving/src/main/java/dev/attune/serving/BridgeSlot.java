package dev.attune.serving;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelVersion;
import dev.attune.models.bridge.Bridge;
import dev.attune.models.bridge.CandidateEmbeddings;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.registry.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The bridge serving uses, swapped whole: decoder and the encoder it reads are loaded before the
 * swap, requests use the bridge under a read lock, and the swap takes the write lock only
 * to replace the reference. A request therefore sees one bridge version from start to end, and the
 * old bridge is closed only after its last request. Version 0 means no bridge: the retriever's top
 * k as is.
 */
public final class BridgeSlot implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeSlot.class);
  public static final String NONE = ModelRegistry.name(ModelKind.BRIDGE, 0);
  private static final int CACHED_TEXTS = 50_000;

  private final ModelCatalog retrievers;
  private final ModelSpec spec;
  private final Map<String, String> instructions;
  private final int maxQueryTokens;
  private final int maxPassageTokens;
  private final Map<String, String> artifacts = new ConcurrentHashMap<>();
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private Bridge current;

  public BridgeSlot(ModelCatalog retrievers, ModelSpec spec, Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens) {
    this.spec = spec;
    this.retrievers = retrievers;
    this.instructions = instructions;
    this.maxQueryTokens = maxQueryTokens;
    this.maxPassageTokens = maxPassageTokens;
  }

  /** Learns where a promoted bridge version lives. */
  public void register(ModelVersion version) {
    artifacts.put(version.getName(), version.getArtifactUri());
  }

  /** Loads {@code name} (or none, for version 0) and makes it the bridge requests use. */
  public void swap(String name) {
    Bridge next = name.equals(NONE) ? null : load(name);
    Bridge old;
    lock.writeLock().lock();
    try {
      old = current;
      current = next;
    } finally {
      lock.writeLock().unlock();
    }
    if (old != null) old.close();
    LOG.info(String.format(Locale.ROOT, "bridge %s live", name));
  }

  /** The bridge with its encoder: its own fine-tuned one, or the retriever it names (opened here, owned by the bridge). */
  private Bridge load(String name) {
    String uri = artifacts.get(name);
    if (uri == null) throw new IllegalArgumentException("unknown bridge " + name + "; known: " + artifacts.keySet());
    Path dir = retrievers.fetch(uri);
    try {
      return Bridge.open(name, dir, spec, encoder -> {
        if (!retrievers.knows(encoder)) {
          throw new IllegalStateException("bridge " + name + " reads " + encoder + " embeddings, which this server does not know");
        }
        return CandidateEmbeddings.owning(retrievers.open(encoder), instructions, maxQueryTokens, maxPassageTokens, CACHED_TEXTS);
      }, instructions, maxQueryTokens, maxPassageTokens);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load bridge " + name + " from " + dir, e);
    }
  }

  /** Runs {@code use} with the live bridge (null: none), which cannot be swapped out meanwhile. */
  public <T> T withBridge(Function<Bridge, T> use) {
    lock.readLock().lock();
    try {
      return use.apply(current);
    } finally {
      lock.readLock().unlock();
    }
  }

  public String version() {
    lock.readLock().lock();
    try {
      return current == null ? NONE : current.version();
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (current != null) current.close();
      current = null;
    } finally {
      lock.writeLock().unlock();
    }
  }
}

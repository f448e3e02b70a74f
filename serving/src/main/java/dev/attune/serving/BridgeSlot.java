package dev.attune.serving;

import dev.attune.schemas.ModelVersion;
import dev.attune.trainers.bridge.Bridge;
import dev.attune.trainers.bridge.CandidateEmbeddings;
import dev.attune.trainers.bridge.PointerDecoder;
import dev.attune.trainers.model.Encoder;
import dev.attune.trainers.train.ModelRegistry;
import dev.attune.schemas.ModelKind;
import ai.djl.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The bridge serving uses, swapped whole: decoder and the retriever encoder it reads are loaded
 * before the swap, requests use the bridge under a read lock, and the swap takes the write lock only
 * to replace the reference. A request therefore sees one bridge version from start to end, and the
 * old bridge is closed only after its last request. Version 0 means no bridge: the retriever's top
 * k as is.
 */
public final class BridgeSlot implements AutoCloseable {
  public static final String NONE = ModelRegistry.name(ModelKind.BRIDGE, 0);
  private static final int CACHED_TEXTS = 50_000;

  /** A loaded bridge and the encoder it owns. */
  private record Loaded(Bridge bridge, Encoder encoder) {}

  private final ModelCatalog retrievers;
  private final Map<String, String> instructions;
  private final int maxQueryTokens;
  private final int maxPassageTokens;
  private final Map<String, Path> artifacts = new ConcurrentHashMap<>();
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private Loaded current;

  public BridgeSlot(ModelCatalog retrievers, Map<String, String> instructions, int maxQueryTokens, int maxPassageTokens) {
    this.retrievers = retrievers;
    this.instructions = instructions;
    this.maxQueryTokens = maxQueryTokens;
    this.maxPassageTokens = maxPassageTokens;
  }

  /** Learns where a promoted bridge version lives. */
  public void register(ModelVersion version) {
    artifacts.put(version.getName(), Path.of(URI.create(version.getArtifactUri())));
  }

  /** Loads {@code name} (or none, for version 0) and makes it the bridge requests use. */
  public void swap(String name) {
    Loaded next = name.equals(NONE) ? null : load(name);
    Loaded old;
    lock.writeLock().lock();
    try {
      old = current;
      current = next;
    } finally {
      lock.writeLock().unlock();
    }
    if (old != null) close(old);
    System.out.printf("serving: bridge %s live%n", name);
  }

  private Loaded load(String name) {
    Path dir = artifacts.get(name);
    if (dir == null) throw new IllegalArgumentException("unknown bridge " + name + "; known: " + artifacts.keySet());
    PointerDecoder decoder;
    try {
      decoder = PointerDecoder.load(dir, Device.cpu());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load bridge " + name + " from " + dir, e);
    }
    String encoderName = decoder.layout().encoder();
    if (!retrievers.knows(encoderName)) {
      decoder.close();
      throw new IllegalStateException("bridge " + name + " reads " + encoderName + " embeddings, which this server does not know");
    }
    Encoder encoder = retrievers.open(encoderName);
    return new Loaded(new Bridge(name, decoder, new CandidateEmbeddings(encoder, instructions, maxQueryTokens, maxPassageTokens, CACHED_TEXTS)), encoder);
  }

  /** Runs {@code use} with the live bridge (null: none), which cannot be swapped out meanwhile. */
  public <T> T withBridge(Function<Bridge, T> use) {
    lock.readLock().lock();
    try {
      return use.apply(current == null ? null : current.bridge());
    } finally {
      lock.readLock().unlock();
    }
  }

  public String version() {
    lock.readLock().lock();
    try {
      return current == null ? NONE : current.bridge().version();
    } finally {
      lock.readLock().unlock();
    }
  }

  private static void close(Loaded loaded) {
    loaded.bridge().close();
    loaded.encoder().close();
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (current != null) close(current);
      current = null;
    } finally {
      lock.writeLock().unlock();
    }
  }
}

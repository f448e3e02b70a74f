package dev.attune.trainers.index;

import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.index.StoredIndex;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.Progress;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The trainer's copy of each index version's passage embeddings, kept in step with the corpus the
 * trainer follows. A passage's vector is taken, in this order, from the copy itself (its text
 * unchanged), from the store serving searches ({@link StoredIndex}: no encoding at all), and only
 * then by embedding it with the index's passage encoder; so after the first round on an index only
 * changed passages are ever embedded. A full round hands in the vectors its evaluation computed
 * ({@link #put}), which become the new index's copy. Each version is persisted under {@code dir}, so
 * a restarted trainer embeds nothing again.
 */
public final class IndexCache {
  private static final Logger LOG = LoggerFactory.getLogger(IndexCache.class);
  private static final int FORMAT = 0xA77E0001;

  private record Entry(long textHash, float[] vector) {}

  /** Where a snapshot's vectors came from, for the log line and tests. */
  public record Filled(int cached, int stored, int embedded, int dropped) {}

  private final Path dir;
  private final StoredIndex store;
  private final Function<String, Encoder> passageEncoders;
  private final int maxPassageTokens;
  private final Map<String, Map<String, Entry>> byModel = new HashMap<>();
  private Filled last = new Filled(0, 0, 0, 0);

  /**
   * @param store serving's store, or null when the trainer cannot reach it (then passages are embedded once)
   * @param passageEncoders opens the passage encoder of a retriever version by name
   * @param maxPassageTokens serving's passage truncation: the copy must equal the index
   */
  public IndexCache(Path dir, StoredIndex store, Function<String, Encoder> passageEncoders, int maxPassageTokens) {
    this.dir = dir;
    this.store = store;
    this.passageEncoders = passageEncoders;
    this.maxPassageTokens = maxPassageTokens;
  }

  /** The index built by {@code model} over exactly {@code corpus} (passage id → embedding text), in the corpus's order. */
  public synchronized IndexSnapshot snapshot(String model, Map<String, String> corpus) {
    Map<String, Entry> entries = byModel.computeIfAbsent(model, this::load);
    int cached = 0, stored = 0;
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, String> p : corpus.entrySet()) {
      Entry e = entries.get(p.getKey());
      if (e != null && e.textHash() == hash(p.getValue())) cached++;
      else missing.add(p.getKey());
    }
    if (!missing.isEmpty() && store != null) {
      Optional<List<StoredIndex.Entry>> read = store.read(model);
      if (read.isPresent()) {
        for (StoredIndex.Entry s : read.get()) {
          String text = corpus.get(s.id());
          if (text != null && text.equals(s.embeddingText())) entries.put(s.id(), new Entry(hash(text), s.vector()));
        }
        List<String> still = missing.stream().filter(id -> !entries.containsKey(id) || entries.get(id).textHash() != hash(corpus.get(id))).toList();
        stored = missing.size() - still.size();
        missing = still;
      }
    }
    if (!missing.isEmpty()) {
      List<String> texts = missing.stream().map(corpus::get).toList();
      float[][] vectors;
      try (Encoder encoder = passageEncoders.apply(model)) {
        vectors = encoder.embed(texts, maxPassageTokens, 32, Progress.every("embedding " + missing.size() + " passages for index " + model,
            missing.size(), 15_000));
      }
      for (int i = 0; i < missing.size(); i++) entries.put(missing.get(i), new Entry(hash(texts.get(i)), vectors[i]));
    }
    int before = entries.size();
    entries.keySet().retainAll(corpus.keySet());
    last = new Filled(cached, stored, missing.size(), before - entries.size());
    if (stored + missing.size() + last.dropped() > 0) save(model, entries);
    LOG.info(String.format(Locale.ROOT, "index %s, %d passages: %d from the trainer's copy, %d read from serving's store, %d embedded, %d dropped",
        model, corpus.size(), cached, stored, missing.size(), last.dropped()));
    List<String> ids = new ArrayList<>(corpus.keySet());
    float[][] vectors = new float[ids.size()][];
    for (int i = 0; i < ids.size(); i++) vectors[i] = entries.get(ids.get(i)).vector();
    return new IndexSnapshot(model, ids, vectors);
  }

  /** How the last {@link #snapshot} was filled. */
  public synchronized Filled lastFilled() {
    return last;
  }

  /** Records vectors already computed with {@code model}'s passage encoder at serving's truncation (a full round's evaluation). */
  public synchronized void put(String model, List<String> ids, List<String> texts, float[][] vectors) {
    if (ids.size() != texts.size() || ids.size() != vectors.length) {
      throw new IllegalArgumentException("ids (" + ids.size() + "), texts (" + texts.size() + ") and vectors (" + vectors.length + ") differ in size");
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (int i = 0; i < ids.size(); i++) entries.put(ids.get(i), new Entry(hash(texts.get(i)), vectors[i]));
    byModel.put(model, entries);
    save(model, entries);
  }

  /** Forgets every version but {@code models}, on disk too. */
  public synchronized void retain(Collection<String> models) {
    byModel.keySet().retainAll(models);
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".vectors") && !models.contains(name.substring(0, name.length() - ".vectors".length()))) Files.delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the index cache in " + dir, e);
    }
  }

  /** 64-bit FNV-1a of the text: a changed passage is re-embedded even across restarts. */
  static long hash(String text) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }

  private Path file(String model) {
    return dir.resolve(model + ".vectors");
  }

  private Map<String, Entry> load(String model) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    Path f = file(model);
    if (!Files.exists(f)) return entries;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f)))) {
      if (in.readInt() != FORMAT) throw new IOException("not an index cache file");
      int dimension = in.readInt();
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        String id = in.readUTF();
        long hash = in.readLong();
        float[] v = new float[dimension];
        for (int d = 0; d < dimension; d++) v[d] = in.readFloat();
        entries.put(id, new Entry(hash, v));
      }
      return entries;
    } catch (IOException e) {
      // A damaged copy costs one re-fill, never a wrong vector.
      LOG.warn(String.format(Locale.ROOT, "ignoring unreadable index cache %s (%s)", f, e.getMessage()));
      return new LinkedHashMap<>();
    }
  }

  private void save(String model, Map<String, Entry> entries) {
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(model + ".vectors.part");
      int dimension = entries.isEmpty() ? 0 : entries.values().iterator().next().vector().length;
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
        out.writeInt(FORMAT);
        out.writeInt(dimension);
        out.writeInt(entries.size());
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeLong(e.getValue().textHash());
          for (float x : e.getValue().vector()) out.writeFloat(x);
        }
      }
      Files.move(tmp, file(model), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the index cache of " + model + " to " + dir, e);
    }
  }
}

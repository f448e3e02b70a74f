package dev.attune.serving;

import dev.attune.serving.store.StoredPassage;
import dev.attune.serving.store.VectorStore;
import dev.attune.trainers.model.Encoder;
import dev.attune.trainers.model.Progress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one writer of the serving indexes. It keeps the live version and the previous one (for
 * instant rollback) in step with the corpus topic, builds new versions, catches them up with the
 * corpus changes that arrived during the build, verifies them, and only then moves the store's
 * active pointer and the serving state (encoder + index) together.
 *
 * <p>Every version records in the store's metadata its build state, model, the corpus offsets it
 * reflects and its predecessor, so a restart serves the last activated version at once, catches it
 * up from those offsets, and drops whatever a crash left half-built.
 */
public final class IndexManager implements Runnable, AutoCloseable {
  /** Build and catch-up settings. */
  public record Config(int maxPassageTokens, int embedBatch, int upsertBatch, Duration catchUpTimeout, IndexVerifier.Config verify) {
    public static Config defaults(int maxPassageTokens) {
      return new Config(maxPassageTokens, 32, 512, Duration.ofMinutes(2), IndexVerifier.Config.defaults());
    }
  }

  /** How serving got onto a version. */
  public enum SwapKind { INITIAL, RESTORED, BUILD, ROLLBACK }

  /** One change of the served version. */
  public record Swap(SwapKind kind, String from, String to, long passages, long caughtUp, double smokeRecall, double seconds) {}

  /** Hears about swaps, failed builds and corpus updates (metrics, demo output). */
  public interface Listener {
    default void swapped(Swap swap) {}

    default void failed(String model, Exception cause) {}

    default void corpusApplied(int changes) {}
  }

  static final String STATE = "attune.state";
  static final String MODEL = "attune.model";
  static final String OFFSETS = "attune.corpus-offsets";
  static final String PREVIOUS = "attune.previous";
  static final String BUILDING = "building";
  static final String COMPLETE = "complete";

  private record Pending(String model, CompletableFuture<Swap> result) {}

  private final VectorStore store;
  private final CorpusFollower follower;
  private final ModelCatalog models;
  private final IndexVerifier verifier;
  private final Config config;
  private final Listener listener;
  private final AtomicReference<ServingState> live = new AtomicReference<>();
  private final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
  private final List<CorpusFollower.Change> unapplied = new ArrayList<>();
  private volatile ServingState previous;
  private volatile boolean running = true;
  private volatile String building;
  private Thread thread;

  public IndexManager(VectorStore store, CorpusFollower follower, ModelCatalog models, Config config, Listener listener) {
    this.store = store;
    this.follower = follower;
    this.models = models;
    this.verifier = new IndexVerifier(config.verify());
    this.config = config;
    this.listener = listener;
  }

  /**
   * Reads the corpus, then serves: the version the store last activated when it is intact,
   * otherwise a fresh build of {@code desiredModel}. Returns once a version is live; a differing
   * {@code desiredModel} is then built in the background.
   */
  public Swap start(String desiredModel) {
    List<CorpusFollower.Change> history = follower.catchUp(config.catchUpTimeout());
    Optional<Swap> restored = restore(history);
    Swap first = restored.orElseGet(() -> build(desiredModel, SwapKind.INITIAL));
    listener.swapped(first);
    thread = new Thread(this, "index-manager");
    thread.setDaemon(true);
    thread.start();
    if (!current().modelVersion().equals(desiredModel)) requestSwap(desiredModel);
    return first;
  }

  private Optional<Swap> restore(List<CorpusFollower.Change> history) {
    long start = System.nanoTime();
    Optional<String> active = store.active();
    List<String> keep = new ArrayList<>();
    if (active.isPresent()) {
      ServingState restored = reopen(active.get(), history);
      if (restored != null) {
        live.set(restored);
        keep.add(restored.indexVersion());
        String prev = store.metadata(restored.indexVersion()).get(PREVIOUS);
        if (prev != null && !prev.isEmpty() && store.versions().contains(prev)) {
          previous = reopen(prev, history);
          if (previous != null) keep.add(prev);
        }
      }
    }
    for (String v : store.versions()) {
      if (!keep.contains(v) && !active.filter(v::equals).isPresent()) store.drop(v);
    }
    ServingState s = live.get();
    if (s == null) return Optional.empty();
    return Optional.of(new Swap(SwapKind.RESTORED, "-", s.modelVersion(), store.count(s.indexVersion()), 0, Double.NaN,
        (System.nanoTime() - start) / 1e9));
  }

  /** Reopens a complete version and applies the corpus changes it has not seen; null if it cannot be used. */
  private ServingState reopen(String version, List<CorpusFollower.Change> history) {
    Map<String, String> meta = store.metadata(version);
    String model = meta.get(MODEL);
    if (!COMPLETE.equals(meta.get(STATE)) || model == null || !models.knows(model)) {
      System.err.printf("serving: index %s is not usable after restart (state %s, model %s); rebuilding%n", version, meta.get(STATE), model);
      return null;
    }
    ServingState s = new ServingState(models.open(model), model, version);
    Map<Integer, Long> seen = CorpusFollower.decode(meta.get(OFFSETS));
    List<CorpusFollower.Change> missed = history.stream()
        .filter(c -> c.offset() >= seen.getOrDefault(c.partition(), 0L)).toList();
    apply(s, missed);
    System.out.printf("serving: restored %s (model %s), caught up %d corpus changes%n", version, model, missed.size());
    return s;
  }

  public ServingState current() {
    ServingState s = live.get();
    if (s == null) throw new IllegalStateException("no model is being served yet");
    return s;
  }

  public Optional<ServingState> previous() {
    return Optional.ofNullable(previous);
  }

  /** The model being built now, if any. */
  public Optional<String> building() {
    return Optional.ofNullable(building);
  }

  public int corpusSize() {
    return follower.size();
  }

  /**
   * Asks for {@code model} to be served. The previous version is switched back to at once; any
   * other is built, caught up and verified first by the manager's thread.
   */
  public CompletableFuture<Swap> requestSwap(String model) {
    ServingState prev = previous;
    if (prev != null && prev.modelVersion().equals(model)) return CompletableFuture.completedFuture(rollback());
    CompletableFuture<Swap> result = new CompletableFuture<>();
    pending.add(new Pending(model, result));
    return result;
  }

  /** Switches back to the previous version at once; the version left stays as the new previous. */
  public synchronized Swap rollback() {
    long start = System.nanoTime();
    ServingState back = previous;
    if (back == null) throw new IllegalStateException("no previous version to roll back to");
    store.activate(back.indexVersion());
    ServingState from = live.getAndSet(back);
    previous = from;
    store.setMetadata(back.indexVersion(), Map.of(PREVIOUS, from.indexVersion()));
    Swap swap = new Swap(SwapKind.ROLLBACK, from.modelVersion(), back.modelVersion(), store.count(back.indexVersion()), 0, Double.NaN,
        (System.nanoTime() - start) / 1e9);
    listener.swapped(swap);
    return swap;
  }

  private synchronized List<ServingState> kept() {
    List<ServingState> states = new ArrayList<>(2);
    if (live.get() != null) states.add(live.get());
    if (previous != null) states.add(previous);
    return states;
  }

  @Override
  public void run() {
    while (running) {
      Pending p = pending.poll();
      if (p != null) {
        try {
          Swap swap = build(p.model(), SwapKind.BUILD);
          listener.swapped(swap);
          p.result().complete(swap);
        } catch (RuntimeException e) {
          System.err.printf("serving: build of %s failed, still serving %s: %s%n", p.model(), current().modelVersion(), e.getMessage());
          listener.failed(p.model(), e);
          p.result().completeExceptionally(e);
        }
      }
      unapplied.addAll(follower.poll(Duration.ofMillis(200)));
      if (unapplied.isEmpty()) continue;
      try {
        for (ServingState s : kept()) apply(s, unapplied);
        listener.corpusApplied(unapplied.size());
        unapplied.clear();
      } catch (RuntimeException e) {
        // Kept and retried on the next round: a store hiccup must not lose corpus changes.
        System.err.println("serving: applying " + unapplied.size() + " corpus changes failed, will retry: " + e.getMessage());
      }
    }
  }

  private Swap build(String model, SwapKind kind) {
    ServingState from = live.get();
    if (from != null && from.modelVersion().equals(model)) {
      return new Swap(kind, model, model, store.count(from.indexVersion()), 0, Double.NaN, 0);
    }
    long start = System.nanoTime();
    String version = model;
    if (store.versions().contains(version)) store.drop(version);
    Encoder encoder = models.open(model);
    building = model;
    try {
      Corpus snapshot = follower.snapshot();
      store.create(version, encoder.dimension());
      store.setMetadata(version, Map.of(STATE, BUILDING, MODEL, model));
      List<Corpus.Passage> passages = snapshot.passages();
      Progress progress = Progress.every("embed " + model, passages.size(), 15_000);
      for (int i = 0; i < passages.size(); i += config.upsertBatch()) {
        List<Corpus.Passage> chunk = passages.subList(i, Math.min(passages.size(), i + config.upsertBatch()));
        store.upsert(version, embed(encoder, chunk, progress));
      }
      ServingState next = new ServingState(encoder, model, version);
      long caughtUp = 0;
      for (List<CorpusFollower.Change> changes = follower.catchUp(config.catchUpTimeout()); !changes.isEmpty();
          changes = follower.catchUp(config.catchUpTimeout())) {
        caughtUp += changes.size();
        for (ServingState s : kept()) apply(s, changes);
        apply(next, changes);
      }
      IndexVerifier.Verification verified = verifier.verify(store, version, encoder, follower.snapshot());
      store.setMetadata(version, Map.of(STATE, COMPLETE, OFFSETS, follower.positions(), PREVIOUS, from == null ? "" : from.indexVersion()));
      ServingState retired;
      synchronized (this) {
        // Store pointer first: a request still holding the old state finds the pointer moved and
        // searches its own version explicitly, so it is never served by a mismatched index.
        store.activate(version);
        ServingState old = live.getAndSet(next);
        retired = previous;
        previous = old;
      }
      if (retired != null) {
        store.drop(retired.indexVersion());
        retired.encoder().close();
      }
      if (from == null) {
        // First version after a start that could not restore: what was there is unusable.
        for (String v : store.versions()) if (!v.equals(version)) store.drop(v);
      }
      System.out.printf("serving: now on %s (%d passages, %d changes caught up during the build, smoke recall %.2f)%n",
          model, verified.points(), caughtUp, verified.smokeRecall());
      return new Swap(kind, from == null ? "-" : from.modelVersion(), model, verified.points(), caughtUp, verified.smokeRecall(),
          (System.nanoTime() - start) / 1e9);
    } catch (RuntimeException e) {
      if (!store.active().filter(version::equals).isPresent() && store.versions().contains(version)) store.drop(version);
      encoder.close();
      throw e;
    } finally {
      building = null;
    }
  }

  private List<StoredPassage> embed(Encoder encoder, List<Corpus.Passage> passages, Progress progress) {
    float[][] vectors = encoder.embed(passages.stream().map(Corpus.Passage::embeddingText).toList(),
        config.maxPassageTokens(), config.embedBatch(), progress);
    List<StoredPassage> stored = new ArrayList<>(passages.size());
    for (int i = 0; i < passages.size(); i++) {
      Corpus.Passage p = passages.get(i);
      stored.add(new StoredPassage(p.id(), p.title(), p.text(), vectors[i]));
    }
    return stored;
  }

  /** Applies changes (latest per passage wins) to one version with its own encoder, then records the offsets. */
  private void apply(ServingState s, List<CorpusFollower.Change> changes) {
    Map<String, CorpusFollower.Change> latest = new LinkedHashMap<>();
    for (CorpusFollower.Change c : changes) latest.put(c.passageId(), c);
    List<Corpus.Passage> upserts = new ArrayList<>();
    List<String> deletes = new ArrayList<>();
    for (CorpusFollower.Change c : latest.values()) {
      if (c.passage() == null) deletes.add(c.passageId());
      else upserts.add(c.passage());
    }
    if (!upserts.isEmpty()) store.upsert(s.indexVersion(), embed(s.encoder(), upserts, Progress.silent()));
    if (!deletes.isEmpty()) store.delete(s.indexVersion(), deletes);
    Map<String, String> meta = new HashMap<>();
    meta.put(OFFSETS, follower.positions());
    store.setMetadata(s.indexVersion(), meta);
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      try {
        thread.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (ServingState s : kept()) s.encoder().close();
    follower.close();
  }
}

package dev.attune.serving;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import dev.attune.serving.store.StoredPassage;
import dev.attune.serving.store.VectorStore;
import dev.attune.serving.reembed.FlinkReembedder;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.Progress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one writer of the serving indexes. It keeps the live (query encoder, index) pair and the
 * previous one (for instant rollback) in step with the corpus topic, builds new indexes, catches
 * them up with the corpus changes that arrived during the build, verifies them, and only then moves
 * the store's active pointer and the serving state together.
 *
 * <p>An index is named after the version whose passage encoder built it. A full version searches
 * its own index; a query-side version searches the index its query encoder was trained against
 * ({@link ModelCatalog#indexOf}). When that index is kept already, the swap loads one query encoder,
 * verifies it on the index and switches: nothing is embedded and the store is not written, so it
 * takes the same time whatever the corpus size. Otherwise the index is built first.
 *
 * <p>Every index records in the store's metadata its build state, model, the corpus offsets it
 * reflects and its predecessor, so a restart serves the last activated index at once (with the
 * query encoder the model history pairs with it), catches it up from those offsets, and drops
 * whatever a crash left half-built.
 */
public final class IndexManager implements ServedIndexes, Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IndexManager.class);
  /** Build and catch-up settings. */
  public record Config(int maxPassageTokens, int embedBatch, int upsertBatch, Duration catchUpTimeout, IndexVerifier.Config verify) {
    public static Config defaults(int maxPassageTokens) {
      return new Config(maxPassageTokens, 32, 512, Duration.ofMinutes(2), IndexVerifier.Config.defaults());
    }
  }

  /** How serving got onto a version. */
  public enum SwapKind {
    INITIAL,
    RESTORED,
    /** An index was built (embedded, caught up, verified) and switched to. */
    BUILD,
    /** A query-side version switched in on the index it was trained against: one query encoder loaded, nothing embedded. */
    QUERY_ENCODER,
    ROLLBACK,
    /** A replica switched to what the indexer built and the model log names (nothing embedded or written). */
    FOLLOWED
  }

  /**
   * One change of the served version.
   *
   * @param index the index searched after the swap
   * @param embedded passages embedded for the swap (0 for a query-encoder swap and a rollback)
   */
  public record Swap(SwapKind kind, String from, String to, String index, long passages, long embedded, long caughtUp, double smokeRecall,
      double seconds) {}

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
  /** Embeds a trained version's index on a Flink cluster instead of here; null: always here. */
  private final FlinkReembedder reembedder;
  private final AtomicReference<ServingState> live = new AtomicReference<>();
  private final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
  private final List<CorpusFollower.Change> unapplied = new ArrayList<>();
  /** Open encoders by model name: the kept states' query encoders and their indexes' passage encoders, shared. */
  private final Map<String, Encoder> encoders = new ConcurrentHashMap<>();
  private volatile ServingState previous;
  private volatile boolean running = true;
  private volatile String building;
  private Thread thread;

  public IndexManager(VectorStore store, CorpusFollower follower, ModelCatalog models, Config config, Listener listener) {
    this(store, follower, models, config, listener, null);
  }

  /** Full rounds' indexes embedded by {@code reembedder}'s Flink cluster (the base's, which has no artifact, still here). */
  public IndexManager(VectorStore store, CorpusFollower follower, ModelCatalog models, Config config, Listener listener,
      FlinkReembedder reembedder) {
    this.reembedder = reembedder;
    this.store = store;
    this.follower = follower;
    this.models = models;
    this.verifier = new IndexVerifier(config.verify());
    this.config = config;
    this.listener = listener;
  }

  /**
   * Reads the corpus, then serves: the index the store last activated when it is intact, otherwise
   * a fresh build for {@code desiredModel}. Returns once a version is live; a differing {@code
   * desiredModel} is then swapped in from the background.
   */
  @Override
  public Swap start(String desiredModel) {
    List<CorpusFollower.Change> history = follower.catchUp(config.catchUpTimeout());
    Optional<Swap> restored = restore(history, desiredModel);
    Swap first = restored.orElseGet(() -> swap(desiredModel, SwapKind.INITIAL));
    listener.swapped(first);
    thread = new Thread(this, "index-manager");
    thread.setDaemon(true);
    thread.start();
    if (!current().modelVersion().equals(desiredModel)) requestSwap(desiredModel);
    return first;
  }

  private Optional<Swap> restore(List<CorpusFollower.Change> history, String desiredModel) {
    long start = System.nanoTime();
    Optional<String> active = store.active();
    List<String> keep = new ArrayList<>();
    if (active.isPresent() && reopen(active.get(), history)) {
      String index = active.get();
      live.set(restoredState(index, desiredModel));
      keep.add(index);
      String prev = store.metadata(index).get(PREVIOUS);
      if (prev != null && !prev.isEmpty() && store.versions().contains(prev) && reopen(prev, history)) {
        previous = new ServingState(encoder(prev), prev, prev);
        keep.add(prev);
      }
    }
    for (String v : store.versions()) {
      if (!keep.contains(v) && !active.filter(v::equals).isPresent()) store.drop(v);
    }
    ServingState s = live.get();
    if (s == null) return Optional.empty();
    return Optional.of(new Swap(SwapKind.RESTORED, "-", s.modelVersion(), s.indexVersion(), store.count(s.indexVersion()), 0, 0, Double.NaN,
        (System.nanoTime() - start) / 1e9));
  }

  /**
   * Records {@code index}, filled outside serving (a bulk import; a benchmark's synthetic index), as
   * a complete build by its own model that reflects the corpus topic up to {@code corpusOffsets}, so
   * a serving node restores it at start instead of embedding the corpus.
   */
  public static void markImported(VectorStore store, String index, Map<Integer, Long> corpusOffsets) {
    store.setMetadata(index, Map.of(STATE, COMPLETE, MODEL, index, OFFSETS, CorpusFollower.encode(corpusOffsets), PREVIOUS, ""));
  }

  /** The model history's version on {@code index} (a query-side one paired with it), else the index's own model. */
  private ServingState restoredState(String index, String desiredModel) {
    if (!desiredModel.equals(index) && models.knows(desiredModel) && models.indexOf(desiredModel).equals(index)) {
      try {
        return new ServingState(encoder(desiredModel), desiredModel, index);
      } catch (RuntimeException e) {
        LOG.warn(String.format(Locale.ROOT, "cannot open %s to serve on restored index %s (%s); serving %s itself", desiredModel, index, e.getMessage(), index));
      }
    }
    return new ServingState(encoder(index), index, index);
  }

  /** Reopens a complete index and applies the corpus changes it has not seen; false if it cannot be used. */
  private boolean reopen(String index, List<CorpusFollower.Change> history) {
    Map<String, String> meta = store.metadata(index);
    String model = meta.get(MODEL);
    if (!COMPLETE.equals(meta.get(STATE)) || model == null || !model.equals(index) || !models.knows(model)) {
      LOG.warn(String.format(Locale.ROOT, "index %s is not usable after restart (state %s, model %s); rebuilding", index, meta.get(STATE), model));
      return false;
    }
    Map<Integer, Long> seen = CorpusFollower.decode(meta.get(OFFSETS));
    List<CorpusFollower.Change> missed = history.stream()
        .filter(c -> c.offset() >= seen.getOrDefault(c.partition(), 0L)).toList();
    apply(index, missed);
    LOG.info(String.format(Locale.ROOT, "restored index %s, caught up %d corpus changes", index, missed.size()));
    return true;
  }

  @Override
  public Optional<ServingState> live() {
    return Optional.ofNullable(live.get());
  }

  @Override
  public Optional<ServingState> previous() {
    return Optional.ofNullable(previous);
  }

  /** The index being built now, if any. */
  @Override
  public Optional<String> building() {
    return Optional.ofNullable(building);
  }

  @Override
  public int corpusSize() {
    return follower.size();
  }

  /**
   * Asks for {@code model} to be served. The previous version is switched back to at once; any
   * other is swapped in by the manager's thread: its query encoder alone when its index is kept,
   * else after its index is built, caught up and verified.
   */
  @Override
  public void serve(String model) {
    requestSwap(model);
  }

  public CompletableFuture<Swap> requestSwap(String model) {
    ServingState prev = previous;
    if (prev != null && prev.modelVersion().equals(model)) return CompletableFuture.completedFuture(rollback());
    CompletableFuture<Swap> result = new CompletableFuture<>();
    pending.add(new Pending(model, result));
    return result;
  }

  /** Switches back to the previous version at once; the version left stays as the new previous. */
  @Override
  public synchronized Swap rollback() {
    long start = System.nanoTime();
    ServingState back = previous;
    if (back == null) throw new IllegalStateException("no previous version to roll back to");
    ServingState from = live.get();
    if (!back.indexVersion().equals(from.indexVersion())) {
      store.activate(back.indexVersion());
      store.setMetadata(back.indexVersion(), Map.of(PREVIOUS, from.indexVersion()));
    }
    live.set(back);
    previous = from;
    Swap swap = new Swap(SwapKind.ROLLBACK, from.modelVersion(), back.modelVersion(), back.indexVersion(), store.count(back.indexVersion()), 0, 0,
        Double.NaN, (System.nanoTime() - start) / 1e9);
    listener.swapped(swap);
    return swap;
  }

  private synchronized List<ServingState> kept() {
    List<ServingState> states = new ArrayList<>(2);
    if (live.get() != null) states.add(live.get());
    if (previous != null) states.add(previous);
    return states;
  }

  /** The indexes the kept states search, each once. */
  private Set<String> keptIndexes() {
    Set<String> out = new LinkedHashSet<>();
    kept().forEach(s -> out.add(s.indexVersion()));
    return out;
  }

  @Override
  public void run() {
    while (running) {
      Pending p = pending.poll();
      if (p != null) {
        try {
          Swap swap = swap(p.model(), SwapKind.BUILD);
          listener.swapped(swap);
          p.result().complete(swap);
        } catch (RuntimeException e) {
          LOG.warn(String.format(Locale.ROOT, "swap to %s failed, still serving %s: %s", p.model(), current().modelVersion(), e.getMessage()));
          listener.failed(p.model(), e);
          p.result().completeExceptionally(e);
        }
      }
      unapplied.addAll(follower.poll(Duration.ofMillis(200)));
      if (unapplied.isEmpty()) continue;
      try {
        for (String index : keptIndexes()) apply(index, unapplied);
        listener.corpusApplied(unapplied.size());
        unapplied.clear();
      } catch (RuntimeException e) {
        // Kept and retried on the next round: a store hiccup must not lose corpus changes.
        LOG.warn("applying " + unapplied.size() + " corpus changes failed, will retry: " + e.getMessage());
      }
    }
  }

  /** Serves {@code model}: on its index when that is kept (query encoder only), else after building the index. */
  private Swap swap(String model, SwapKind kind) {
    ServingState from = live.get();
    if (from != null && from.modelVersion().equals(model)) {
      return new Swap(kind, model, model, from.indexVersion(), store.count(from.indexVersion()), 0, 0, Double.NaN, 0);
    }
    long start = System.nanoTime();
    String index = models.indexOf(model);
    boolean kept = keptIndexes().contains(index);
    building = kept ? model : index;
    try {
      Encoder queries = encoder(model);
      long embedded = 0, caughtUp = 0;
      if (!kept) {
        long[] built = build(index);
        embedded = built[0];
        caughtUp = built[1];
      }
      IndexVerifier.Verification verified = verifier.verify(store, index, queries, follower.snapshot());
      if (!kept) {
        store.setMetadata(index, Map.of(STATE, COMPLETE, OFFSETS, follower.positions(), PREVIOUS, from == null ? "" : from.indexVersion()));
      }
      switchTo(new ServingState(queries, model, index));
      if (from == null) {
        // First version after a start that could not restore: what was there is unusable.
        for (String v : store.versions()) if (!v.equals(index)) store.drop(v);
      }
      SwapKind how = kept && kind == SwapKind.BUILD ? SwapKind.QUERY_ENCODER : kind;
      LOG.info(String.format(Locale.ROOT, "now on %s searching index %s (%d passages, %d embedded, %d changes caught up, smoke recall %.2f)",
          model, index, verified.points(), embedded, caughtUp, verified.smokeRecall()));
      return new Swap(how, from == null ? "-" : from.modelVersion(), model, index, verified.points(), embedded, caughtUp, verified.smokeRecall(),
          (System.nanoTime() - start) / 1e9);
    } catch (RuntimeException e) {
      if (!kept && !store.active().filter(index::equals).isPresent() && store.versions().contains(index)) store.drop(index);
      closeUnused();
      throw e;
    } finally {
      building = null;
    }
  }

  /** Builds {@code index} with its own passage encoder and catches it up; returns {passages embedded, changes caught up}. */
  private long[] build(String index) {
    if (store.versions().contains(index)) store.drop(index);
    Encoder passages = encoder(index);
    Corpus snapshot = follower.snapshot();
    store.create(index, passages.dimension());
    store.setMetadata(index, Map.of(STATE, BUILDING, MODEL, index));
    List<Corpus.Passage> corpus = snapshot.passages();
    Optional<String> artifact = models.artifactOf(index);
    if (reembedder != null && artifact.isPresent()) {
      embedOnCluster(index, artifact.get(), corpus.size());
    } else {
      Progress progress = Progress.every("embed " + index, corpus.size(), 15_000);
      for (int i = 0; i < corpus.size(); i += config.upsertBatch()) {
        List<Corpus.Passage> chunk = corpus.subList(i, Math.min(corpus.size(), i + config.upsertBatch()));
        store.upsert(index, embed(passages, chunk, progress));
      }
    }
    long caughtUp = 0;
    for (List<CorpusFollower.Change> changes = follower.catchUp(config.catchUpTimeout()); !changes.isEmpty();
        changes = follower.catchUp(config.catchUpTimeout())) {
      caughtUp += changes.size();
      for (String kept : keptIndexes()) apply(kept, changes);
      apply(index, changes);
    }
    return new long[] {corpus.size(), caughtUp};
  }

  /**
   * Has the Flink cluster embed the corpus as this manager's snapshot holds it (the topic up to the
   * follower's positions, read by nobody else meanwhile: this thread also polls the follower) into
   * {@code index}; the index must then hold exactly the snapshot's passages.
   */
  private void embedOnCluster(String index, String artifactUri, int expected) {
    FlinkReembedder.Run run = reembedder.embed(reembedder.request(index, artifactUri, follower.positions()), expected);
    long stored = store.count(index);
    if (stored != expected) {
      throw new IllegalStateException(String.format(Locale.ROOT, "the re-embedding job %s wrote %d passages into %s; the corpus snapshot has %d",
          run.jobId(), stored, index, expected));
    }
    LOG.info(String.format(Locale.ROOT, "the cluster embedded %d passages into %s in %.1f s (%.1f passages/s, job %s)", stored, index,
        run.seconds(), stored / run.seconds(), run.jobId()));
  }

  /** Makes {@code next} live; the live state becomes the previous one, and what no kept state uses any more is dropped. */
  private void switchTo(ServingState next) {
    ServingState retired;
    synchronized (this) {
      // Store pointer first: a request still holding the old state finds the pointer moved and
      // searches its own index explicitly, so it is never served by a mismatched index.
      if (!store.active().filter(next.indexVersion()::equals).isPresent()) store.activate(next.indexVersion());
      ServingState old = live.getAndSet(next);
      retired = previous;
      previous = old;
    }
    if (retired != null && !keptIndexes().contains(retired.indexVersion())) store.drop(retired.indexVersion());
    closeUnused();
  }

  /** The encoder of {@code model}, opened once and shared by every state and index that needs it. */
  private Encoder encoder(String model) {
    return encoders.computeIfAbsent(model, models::open);
  }

  /**
   * Closes the encoders no kept state or index uses any more. One retired a swap ago is closed
   * without waiting for requests that might still hold it; a request would have to outlive a whole
   * swap for that to matter.
   */
  private void closeUnused() {
    Set<String> used = new HashSet<>();
    for (ServingState s : kept()) {
      used.add(s.modelVersion());
      used.add(s.indexVersion());
    }
    ServedIndexes.closeUnused(encoders, used);
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

  /** Applies changes (latest per passage wins) to one index with its passage encoder, then records the offsets. */
  private void apply(String index, List<CorpusFollower.Change> changes) {
    Map<String, CorpusFollower.Change> latest = new LinkedHashMap<>();
    for (CorpusFollower.Change c : changes) latest.put(c.passageId(), c);
    List<Corpus.Passage> upserts = new ArrayList<>();
    List<String> deletes = new ArrayList<>();
    for (CorpusFollower.Change c : latest.values()) {
      if (c.passage() == null) deletes.add(c.passageId());
      else upserts.add(c.passage());
    }
    if (!upserts.isEmpty()) store.upsert(index, embed(encoder(index), upserts, Progress.silent()));
    if (!deletes.isEmpty()) store.delete(index, deletes);
    Map<String, String> meta = new HashMap<>();
    meta.put(OFFSETS, follower.positions());
    store.setMetadata(index, meta);
  }

  @Override
  public void close() {
    running = false;
    // A build on the cluster would otherwise run on, writing an index a restarted indexer drops.
    if (reembedder != null) reembedder.close();
    if (thread != null) {
      try {
        thread.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    encoders.values().forEach(Encoder::close);
    encoders.clear();
    follower.close();
  }
}

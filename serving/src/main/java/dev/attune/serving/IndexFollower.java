package dev.attune.serving;

import dev.attune.models.encoder.Encoder;
import dev.attune.serving.store.VectorStore;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serving replica's indexes. One indexer ({@link IndexManager}) builds, catches up and verifies
 * indexes in a store shared by every node (Qdrant); any number of replicas follow it without
 * writing anything: a replica serves the version the model log names once that version's index is
 * complete in the store (the indexer marks it so only after verifying it), after its own smoke
 * queries pass with its own copy of the query encoder. Every request reads one (query encoder,
 * index) pair and searches that versioned collection, so a replica never answers with a mixed pair,
 * whatever the indexer is doing meanwhile. A replica that starts or restarts late reads the model
 * log to its end and catches up to the current version the same way.
 *
 * <p>Why a fixed indexer rather than an election: the indexer's work is idempotent per version and
 * resumable after a restart ({@link IndexManager#start}), and the versions it builds are named by the
 * model log, so a second indexer would only repeat the same work; one process with a restart policy
 * gives the same availability without a lease to get wrong. Replicas keep serving the last complete
 * version while the indexer is down.
 */
public final class IndexFollower implements ServedIndexes, Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IndexFollower.class);
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration REPORT = Duration.ofSeconds(30);

  private final VectorStore store;
  private final CorpusFollower follower;
  private final ModelCatalog models;
  private final IndexVerifier verifier;
  private final IndexManager.Listener listener;
  private final Duration catchUpTimeout;
  private final AtomicReference<ServingState> live = new AtomicReference<>();
  private final Map<String, Encoder> encoders = new ConcurrentHashMap<>();
  private volatile ServingState previous;
  private volatile String desired;
  private volatile String waitingFor;
  private volatile boolean running = true;
  private volatile String refused;
  private volatile long nextTry;
  private long nextReport;
  private Thread thread;

  public IndexFollower(VectorStore store, CorpusFollower follower, ModelCatalog models, IndexVerifier.Config verify, Duration catchUpTimeout,
      IndexManager.Listener listener) {
    this.catchUpTimeout = catchUpTimeout;
    this.store = store;
    this.follower = follower;
    this.models = models;
    this.verifier = new IndexVerifier(verify);
    this.listener = listener;
  }

  /** Reads the corpus, then waits until {@code desiredModel} can be served (the indexer may still be building it); returns once live. */
  @Override
  public IndexManager.Swap start(String desiredModel) {
    follower.catchUp(catchUpTimeout);
    desired = desiredModel;
    IndexManager.Swap first = null;
    while (first == null) {
      first = tryFollow(desiredModel);
      if (first == null) follower.poll(RETRY);
    }
    thread = new Thread(this, "index-follower");
    thread.setDaemon(true);
    thread.start();
    return first;
  }

  /** The model log now names {@code model}: follow it once its index is complete. */
  @Override
  public void serve(String model) {
    desired = model;
    refused = null;
    nextTry = 0;
  }

  @Override
  public void run() {
    while (running) {
      follower.poll(Duration.ofMillis(200));
      String want = desired;
      ServingState now = live.get();
      if (want != null && !want.equals(now.modelVersion()) && System.nanoTime() >= nextTry && !want.equals(refused)) {
        try {
          tryFollow(want);
        } catch (RuntimeException e) {
          LOG.warn("following {} failed, still serving {}: {}", want, now.modelVersion(), e.getMessage());
        }
      }
    }
  }

  /** Switches to {@code model} if its index is complete and its encoder passes the smoke queries; null when not yet. */
  private IndexManager.Swap tryFollow(String model) {
    long start = System.nanoTime();
    nextTry = start + RETRY.toNanos();
    String index = models.indexOf(model);
    if (!store.versions().contains(index) || !IndexManager.COMPLETE.equals(store.metadata(index).get(IndexManager.STATE))) {
      waitingFor = index;
      if (start >= nextReport) {
        LOG.info(String.format(Locale.ROOT, "replica: waiting for the indexer to complete index %s for %s", index, model));
        nextReport = start + REPORT.toNanos();
      }
      return null;
    }
    ServingState from = live.get();
    Encoder queries = encoders.computeIfAbsent(model, models::open);
    IndexVerifier.Verification verified;
    try {
      verified = verifier.smoke(store, index, queries, follower.snapshot());
    } catch (IndexVerifier.VerificationFailed e) {
      refused = model;
      closeUnused();
      listener.failed(model, e);
      throw e;
    }
    synchronized (this) {
      previous = from;
      live.set(new ServingState(queries, model, index));
      waitingFor = null;
    }
    closeUnused();
    IndexManager.Swap swap = new IndexManager.Swap(from == null ? IndexManager.SwapKind.INITIAL : IndexManager.SwapKind.FOLLOWED,
        from == null ? "-" : from.modelVersion(), model, index, verified.points(), 0, 0, verified.smokeRecall(), (System.nanoTime() - start) / 1e9);
    LOG.info(String.format(Locale.ROOT, "replica: now on %s searching index %s (%d passages, smoke recall %.2f)", model, index,
        verified.points(), verified.smokeRecall()));
    listener.swapped(swap);
    return swap;
  }

  /** Closes the encoders neither the live nor the previous state uses. */
  private void closeUnused() {
    Set<String> used = new java.util.HashSet<>();
    for (ServingState s : new ServingState[] {live.get(), previous}) if (s != null) used.add(s.modelVersion());
    ServedIndexes.closeUnused(encoders, used);
  }

  @Override
  public Optional<ServingState> live() {
    return Optional.ofNullable(live.get());
  }

  @Override
  public Optional<ServingState> previous() {
    return Optional.ofNullable(previous);
  }

  @Override
  public Optional<String> building() {
    return Optional.ofNullable(waitingFor);
  }

  @Override
  public int corpusSize() {
    return follower.size();
  }

  @Override
  public IndexManager.Swap rollback() {
    throw new UnsupportedOperationException("this node is a serving replica: it serves what the model log names;"
        + " roll back with `attune models rollback`, which every node obeys");
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
    encoders.values().forEach(Encoder::close);
    encoders.clear();
    follower.close();
  }
}

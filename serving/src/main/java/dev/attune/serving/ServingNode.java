package dev.attune.serving;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.Topics;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.api.ServingMetrics;
import dev.attune.serving.reembed.FlinkReembedder;
import dev.attune.serving.store.LuceneVectorStore;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.serving.store.VectorStore;
import dev.attune.models.encoder.Truncation;
import dev.attune.models.registry.ModelRegistry;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One serving instance, wired: vector store, corpus follower, index manager, model watcher,
 * retrieval service, HTTP API and metrics. {@code attune serve} and the local stack both start it.
 */
public final class ServingNode implements AutoCloseable {
  /** Query and passage truncation when serving ({@link Truncation#SERVING}; the trainer evaluates at the same). */
  public static final int MAX_QUERY_TOKENS = Truncation.SERVING.queryTokens();
  public static final int MAX_PASSAGE_TOKENS = Truncation.SERVING.passageTokens();

  /**
   * Which store holds the indexes ({@code qdrant} null: the embedded Lucene store); {@code models}:
   * where the base is unpacked and from which artifact store promoted versions are fetched.
   */
  public record Config(KafkaSettings kafka, Topics topics, Path workDir, ModelRegistry models,
      QdrantVectorStore.Config qdrant, String host, int port, RetrievalApi.Config api, Map<String, String> tasks,
      int maxQueryTokens, int maxPassageTokens, Role role, FlinkReembedder.Config reembed) {
    /** Indexes embedded in this process. */
    public Config(KafkaSettings kafka, Topics topics, Path workDir, ModelRegistry models, QdrantVectorStore.Config qdrant, String host, int port,
        RetrievalApi.Config api, Map<String, String> tasks, int maxQueryTokens, int maxPassageTokens, Role role) {
      this(kafka, topics, workDir, models, qdrant, host, port, api, tasks, maxQueryTokens, maxPassageTokens, role, null);
    }

    /** The indexer role: one node, as before replicas. */
    public Config(KafkaSettings kafka, Topics topics, Path workDir, ModelRegistry models, QdrantVectorStore.Config qdrant, String host, int port,
        RetrievalApi.Config api, Map<String, String> tasks, int maxQueryTokens, int maxPassageTokens) {
      this(kafka, topics, workDir, models, qdrant, host, port, api, tasks, maxQueryTokens, maxPassageTokens, Role.INDEXER);
    }

    public Config {
      if (role == Role.REPLICA && qdrant == null) {
        throw new IllegalArgumentException("a serving replica reads the indexes its indexer builds: it needs the shared store (--store qdrant), not embedded Lucene");
      }
      if (reembed != null && (qdrant == null || role != Role.INDEXER)) {
        throw new IllegalArgumentException("re-embedding on a Flink cluster writes into Qdrant for the indexer: it needs --store qdrant and the INDEXER role");
      }
    }

    /** Trained versions' indexes embedded on the Flink cluster {@code cluster} describes. */
    public Config withReembed(FlinkReembedder.Config cluster) {
      return new Config(kafka, topics, workDir, models, qdrant, host, port, api, tasks, maxQueryTokens, maxPassageTokens, role, cluster);
    }

    public Config withRole(Role newRole) {
      return new Config(kafka, topics, workDir, models, qdrant, host, port, api, tasks, maxQueryTokens, maxPassageTokens, newRole, reembed);
    }
  }

  /**
   * What a node does with the indexes: the one {@code INDEXER} builds, catches up and switches them
   * (and serves); a {@code REPLICA} serves what the indexer built, writing nothing (see {@link IndexFollower}).
   */
  public enum Role { INDEXER, REPLICA }

  private static final Duration STARTUP = Duration.ofMinutes(2);
  private static final Duration BROKER_CHECK = Duration.ofSeconds(2);

  private final VectorStore store;
  private final ServedIndexes indexes;
  private final ModelWatcher watcher;
  private final Thread watcherThread;
  private final BridgeSlot bridges;
  private final ModelWatcher bridgeWatcher;
  private final Thread bridgeWatcherThread;
  private final RetrievalService service;
  private final ServingMetrics metrics;
  private final SwapHistory history = SwapHistory.recent();
  private final BrokerProbe broker;
  private final Javalin http;

  private ServingNode(Config config, IndexManager.Listener listener) {
    store = config.qdrant() == null ? new LuceneVectorStore(config.workDir().resolve("indexes")) : new QdrantVectorStore(config.qdrant());
    ModelCatalog catalog = new ModelCatalog(config.models(), config.maxPassageTokens());
    bridges = new BridgeSlot(catalog, config.models().spec(), config.tasks(), config.maxQueryTokens(), config.maxPassageTokens());
    CorpusFollower follower = new CorpusFollower(config.kafka(), config.topics().corpus(), config.api().limits());
    boolean replica = config.role() == Role.REPLICA;
    // The service reads the manager's state through a method: the manager only exists a line later.
    service = new RetrievalService(store, this::current, new EventPublisher(config.kafka(), config.api().publishTimeout()), config.topics(),
        config.tasks(), config.maxQueryTokens(), bridges, new EventValidator(config.api().limits()));
    metrics = new ServingMetrics(this::livePassages, follower::size);
    IndexManager.Config settings = IndexManager.Config.defaults(config.maxPassageTokens());
    IndexManager.Listener listeners = all(metrics, history, listener);
    indexes = replica ? new IndexFollower(store, follower, catalog, settings.verify(), settings.catchUpTimeout(), listeners)
        : new IndexManager(store, follower, catalog, settings, listeners, config.reembed() == null ? null
            : new FlinkReembedder(config.reembed(), config.kafka(), config.topics().corpus().name(), config.api().limits(), config.qdrant(),
                config.models().spec().name(), config.maxPassageTokens(), settings.embedBatch()));
    broker = new BrokerProbe(config.kafka(), BROKER_CHECK);
    // The API listens from the start, so a probe sees 503 (starting) rather than a closed port while
    // the topics are awaited and the first index is built.
    http = RetrievalApi.create(service, indexes, metrics, history, broker, config.api()).start(config.host(), config.port());
    try {
      watcher = new ModelWatcher(config.kafka(), config.topics().modelVersions(), ModelKind.RETRIEVER, catalog::register);
      String desired = watcher.catchUp(STARTUP);
      bridgeWatcher = new ModelWatcher(config.kafka(), config.topics().modelVersions(), ModelKind.BRIDGE, bridges::register);
      bridges.swap(bridgeWatcher.catchUp(STARTUP));
      indexes.start(desired);
    } catch (RuntimeException e) {
      http.stop();
      broker.close();
      throw e;
    }
    watcher.onChange(indexes::serve);
    watcherThread = daemon(watcher, "model-watcher");
    bridgeWatcher.onChange(bridges::swap);
    bridgeWatcherThread = daemon(bridgeWatcher, "bridge-watcher");
  }

  private static Thread daemon(Runnable body, String name) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Starts serving; returns once a version is live. The API listens (answering 503) from the start. */
  public static ServingNode start(Config config, IndexManager.Listener listener) {
    return new ServingNode(config, listener);
  }

  private ServingState current() {
    return indexes.current();
  }

  private long livePassages() {
    try {
      return store.count(indexes.current().indexVersion());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static IndexManager.Listener all(IndexManager.Listener... listeners) {
    List<IndexManager.Listener> all = List.of(listeners);
    return new IndexManager.Listener() {
      @Override
      public void swapped(IndexManager.Swap swap) {
        all.forEach(l -> l.swapped(swap));
      }

      @Override
      public void failed(String model, Exception cause) {
        all.forEach(l -> l.failed(model, cause));
      }

      @Override
      public void corpusApplied(int changes) {
        all.forEach(l -> l.corpusApplied(changes));
      }
    };
  }

  public RetrievalService service() {
    return service;
  }

  public ServedIndexes indexes() {
    return indexes;
  }

  public VectorStore store() {
    return store;
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + http.port());
  }

  @Override
  public void close() {
    watcher.close();
    bridgeWatcher.close();
    try {
      watcherThread.join(10_000);
      bridgeWatcherThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.stop();
    broker.close();
    service.close();
    indexes.close();
    bridges.close();
    store.close();
  }
}

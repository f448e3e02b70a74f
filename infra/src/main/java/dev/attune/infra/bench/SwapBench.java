package dev.attune.infra.bench;

import dev.attune.client.AttuneClient;
import dev.attune.infra.data.BeirDataset;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.IndexManager;
import dev.attune.serving.IndexVerifier;
import dev.attune.serving.ServingNode;
import dev.attune.serving.ServingState;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.LuceneVectorStore;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.serving.store.StoredPassage;
import dev.attune.serving.store.VectorStore;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code attune bench-serving}: queries at a fixed rate against the running API while a new model
 * version is swapped in, for the Lucene store and a real Qdrant server; prints latency per phase
 * (before, during, after the swap), failed and unpaired responses (a query encoder answering from
 * an index it was not trained against), the swap's duration and each store's raw search throughput
 * measured in the same run.
 *
 * <p>A full swap re-embeds the corpus under load. A query-side swap loads one query encoder and
 * verifies it on the live index; to show its cost does not grow with the corpus, {@code passages}
 * pads the real SQuAD passages with synthetic ones up to that size. That index is imported, not
 * embedded: real embeddings for the real passages and for the passages the verifier samples,
 * random unit vectors for the other synthetic ones (they never rank near a real question).
 */
public final class SwapBench {
  /**
   * Bench settings.
   *
   * @param querySide swap in a query-side version (on the live index) instead of a full one (re-embedding)
   * @param passages with {@code querySide}, the index's size: real passages padded with synthetic ones
   */
  public record Config(Path workDir, int articles, double rate, Duration steady, Duration rawSearch, List<String> stores, boolean querySide,
      int passages) {}

  private enum Phase { BEFORE, DURING, AFTER }

  private record Sample(Phase phase, long micros, boolean ok, boolean mixed) {}

  /** Figures of one store; {@code mixed} counts responses whose (model, index) pair the model log does not allow. */
  public record Result(String store, Map<Phase, long[]> latencies, Map<Phase, Integer> failed, Map<Phase, Integer> mixed,
      double swapSeconds, double servingSwapSeconds, long indexPassages, double rawSearchesPerSecond) {}

  private final Config config;

  public SwapBench(Config config) {
    this.config = config;
  }

  public List<Result> run(PrintStream out) throws Exception {
    BeirDataset data = BeirDataset.bundled().firstArticles(config.articles());
    List<String> questions = data.queries().stream().map(RetrievalMetrics.Judged::text).toList();
    out.printf("bench-serving: %s swap, %d real passages%s, %d distinct questions, %.0f requests/s, %s steady phases%n",
        config.querySide() ? "query-side" : "full", data.corpus().passages().size(),
        config.querySide() && config.passages() > data.corpus().passages().size() ? " padded to " + config.passages() + " with synthetic ones" : "",
        questions.size(), config.rate(), config.steady());
    List<Result> results = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(config.workDir().resolve("kafka"))) {
      for (String store : config.stores()) results.add(runOne(store, kafka, data.corpus(), questions, out));
    }
    print(results, out);
    return results;
  }

  private Result runOne(String store, EmbeddedKafka kafka, Corpus real, List<String> questions, PrintStream out) throws Exception {
    Path dir = config.workDir().resolve(store);
    Topics topics = Topics.withPrefix("bench-" + store + ".");
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
    Corpus corpus = config.querySide() ? padded(real, config.passages()) : real;
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publishCorpus(topics.corpus(), corpus.passages());
    }
    QdrantServer qdrant = store.equals("qdrant")
        ? QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), dir.resolve("qdrant"), Duration.ofSeconds(60)) : null;
    try {
      QdrantVectorStore.Config q = qdrant == null ? null : QdrantVectorStore.Config.local(qdrant.grpcPort(), "bench");
      ModelRegistry registry = new ModelRegistry(dir.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
      if (config.querySide()) {
        out.printf("[%s] importing a base index of %d passages ...%n", store, corpus.passages().size());
        importIndex(q == null ? new LuceneVectorStore(dir.resolve("indexes")) : new QdrantVectorStore(q), corpus, real, registry);
      } else {
        out.printf("[%s] building the base index ...%n", store);
      }
      List<IndexManager.Swap> swaps = new java.util.concurrent.CopyOnWriteArrayList<>();
      try (ServingNode node = ServingNode.start(new ServingNode.Config(kafka.settings(), topics, dir, new ModelRegistry(dir.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), q, "127.0.0.1", 0, RetrievalApi.Config.open(), Tasks.defaults().instructions(), ServingNode.MAX_QUERY_TOKENS,
          ServingNode.MAX_PASSAGE_TOKENS), new IndexManager.Listener() {
            @Override
            public void swapped(IndexManager.Swap swap) {
              swaps.add(swap);
            }
          })) {
        return measure(store, node, kafka, topics, registry.cloneBase(1), questions, swaps, out);
      }
    } finally {
      if (qdrant != null) qdrant.close();
    }
  }

  /** The real passages, then synthetic ones up to {@code size}. */
  private static Corpus padded(Corpus real, int size) {
    List<Corpus.Passage> all = new ArrayList<>(real.passages());
    for (int i = 0; all.size() < size; i++) {
      all.add(new Corpus.Passage("synthetic#" + i, "Synthetic " + (i % 997),
          "Synthetic passage " + i + " fills the index to the size under test. It holds no answer to any question."));
    }
    return new Corpus(all);
  }

  /**
   * Writes the base index straight into the store and records it as complete at the corpus topic's
   * end, so serving restores it instead of embedding: real embeddings for the real passages and the
   * verifier's smoke sample, random unit vectors for the other synthetic passages.
   */
  private static void importIndex(VectorStore store, Corpus corpus, Corpus real, ModelRegistry registry) throws Exception {
    String base = ModelRegistry.name(0);
    java.util.Set<String> embedded = new java.util.HashSet<>();
    real.passages().forEach(p -> embedded.add(p.id()));
    IndexVerifier.smokeSample(corpus, IndexVerifier.Config.defaults().smokeQueries()).forEach(p -> embedded.add(p.id()));
    java.util.Random random = new java.util.Random(11);
    try (store; OnnxEncoder encoder = new OnnxEncoder(base, registry.dir(0), ModelSpec.BGE_SMALL_EN_V15, ServingNode.MAX_PASSAGE_TOKENS)) {
      store.create(base, encoder.dimension());
      List<Corpus.Passage> passages = corpus.passages();
      for (int start = 0; start < passages.size(); start += 4096) {
        List<Corpus.Passage> chunk = passages.subList(start, Math.min(passages.size(), start + 4096));
        List<Corpus.Passage> toEmbed = chunk.stream().filter(p -> embedded.contains(p.id())).toList();
        float[][] vectors = encoder.embed(toEmbed.stream().map(Corpus.Passage::embeddingText).toList(), ServingNode.MAX_PASSAGE_TOKENS, 32,
            dev.attune.models.encoder.Progress.silent());
        java.util.Map<String, float[]> byId = new java.util.HashMap<>();
        for (int i = 0; i < toEmbed.size(); i++) byId.put(toEmbed.get(i).id(), vectors[i]);
        List<StoredPassage> stored = new ArrayList<>(chunk.size());
        for (Corpus.Passage p : chunk) {
          float[] v = byId.get(p.id());
          if (v == null) {
            v = new float[encoder.dimension()];
            for (int d = 0; d < v.length; d++) v[d] = (float) random.nextGaussian();
            dev.attune.models.encoder.Encoder.normalize(v);
          }
          stored.add(new StoredPassage(p.id(), p.title(), p.text(), v));
        }
        store.upsert(base, stored);
      }
      IndexManager.markImported(store, base, Map.of(0, (long) passages.size()));
      store.activate(base);
    }
  }

  private Result measure(String store, ServingNode node, EmbeddedKafka kafka, Topics topics, Path v1, List<String> questions,
      List<IndexManager.Swap> swaps, PrintStream out) throws Exception {
    // The pairs the model log allows: the base on its index, and retriever-v1 on the index it searches.
    java.util.Set<String> allowed = java.util.Set.of("retriever-v0/retriever-v0", config.querySide() ? "retriever-v1/retriever-v0" : "retriever-v1/retriever-v1");
    AttuneClient client = new AttuneClient(node.uri(), null, Duration.ofSeconds(30));
    ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    Phase[] phase = {Phase.BEFORE};
    ExecutorService workers = Executors.newFixedThreadPool(16);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    long periodMicros = (long) (1_000_000 / config.rate());
    int[] next = {0};
    ticker.scheduleAtFixedRate(() -> {
      Phase p = phase[0];
      String question = questions.get(next[0]++ % questions.size());
      workers.execute(() -> {
        long t0 = System.nanoTime();
        try {
          AttuneClient.Retrieval r = client.retrieve(AttuneClient.RetrieveRequest.of(question, 10));
          samples.add(new Sample(p, (System.nanoTime() - t0) / 1000, true, !allowed.contains(r.modelVersion() + "/" + r.indexVersion())));
        } catch (RuntimeException e) {
          samples.add(new Sample(p, (System.nanoTime() - t0) / 1000, false, false));
        }
      });
    }, 0, periodMicros, TimeUnit.MICROSECONDS);

    out.printf("[%s] steady load on %s ...%n", store, node.indexes().current().modelVersion());
    LockSupport.parkNanos(config.steady().toNanos());
    phase[0] = Phase.DURING;
    long swapStart = System.nanoTime();
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publish(topics.modelVersions(), "RETRIEVER", ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(1)
          .setName(ModelRegistry.name(1)).setArtifactUri(v1.toUri().toString()).setCreatedAtMs(System.currentTimeMillis())
          .setStatus(ModelStatus.PROMOTED).setIndexVersion(config.querySide() ? 0 : null).build());
    }
    out.printf("[%s] promoted retriever-v1; %s under load ...%n", store, config.querySide() ? "swapping its query encoder in" : "re-embedding");
    while (!node.indexes().current().modelVersion().equals(ModelRegistry.name(1))) {
      if (System.nanoTime() - swapStart > Duration.ofMinutes(20).toNanos()) throw new IllegalStateException("swap did not finish in 20 minutes");
      LockSupport.parkNanos(50_000_000L);
    }
    double swapSeconds = (System.nanoTime() - swapStart) / 1e9;
    phase[0] = Phase.AFTER;
    LockSupport.parkNanos(config.steady().toNanos());
    ticker.shutdown();
    ticker.awaitTermination(10, TimeUnit.SECONDS);
    workers.shutdown();
    workers.awaitTermination(60, TimeUnit.SECONDS);

    double raw = rawSearchRate(node, questions);
    Map<Phase, long[]> latencies = new java.util.EnumMap<>(Phase.class);
    Map<Phase, Integer> failed = new java.util.EnumMap<>(Phase.class);
    Map<Phase, Integer> mixed = new java.util.EnumMap<>(Phase.class);
    for (Phase p : Phase.values()) {
      latencies.put(p, samples.stream().filter(s -> s.phase() == p && s.ok()).mapToLong(Sample::micros).sorted().toArray());
      failed.put(p, (int) samples.stream().filter(s -> s.phase() == p && !s.ok()).count());
      mixed.put(p, (int) samples.stream().filter(s -> s.phase() == p && s.mixed()).count());
    }
    double servingSeconds = swaps.stream().filter(w -> w.to().equals(ModelRegistry.name(1))).mapToDouble(IndexManager.Swap::seconds).findFirst()
        .orElse(Double.NaN);
    return new Result(store, latencies, failed, mixed, swapSeconds, servingSeconds, node.store().count(node.indexes().current().indexVersion()), raw);
  }

  /** Store-only searches per second (one thread, pre-embedded queries, k = 10) on the live version. */
  private double rawSearchRate(ServingNode node, List<String> questions) {
    ServingState s = node.indexes().current();
    List<String> sample = questions.subList(0, Math.min(64, questions.size()));
    float[][] vectors = s.encoder().embedBatch(sample, 64);
    long deadline = System.nanoTime() + config.rawSearch().toNanos();
    long start = System.nanoTime();
    long n = 0;
    while (System.nanoTime() < deadline) node.store().search(s.indexVersion(), vectors[(int) (n++ % vectors.length)], 10);
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) return Double.NaN;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1000.0;
  }

  static void print(List<Result> results, PrintStream out) {
    out.println();
    out.printf("%-8s %-7s %8s %9s %9s %7s %9s%n", "store", "phase", "requests", "p50 ms", "p99 ms", "failed", "unpaired");
    for (Result r : results) {
      for (Phase p : Phase.values()) {
        long[] l = r.latencies().get(p);
        out.printf("%-8s %-7s %8d %9.1f %9.1f %7d %9d%n", r.store(), p.name().toLowerCase(), l.length + r.failed().get(p),
            percentile(l, 0.50), percentile(l, 0.99), r.failed().get(p), r.mixed().get(p));
      }
    }
    out.println();
    for (Result r : results) {
      out.printf("%-8s %d passages: swap %.2fs from the decision to the first request on retriever-v1 (serving's swap itself %.2fs); raw store search %.0f/s (1 thread, k=10)%n",
          r.store(), r.indexPassages(), r.swapSeconds(), r.servingSwapSeconds(), r.rawSearchesPerSecond());
    }
    int failed = results.stream().mapToInt(r -> Arrays.stream(Phase.values()).mapToInt(p -> r.failed().get(p)).sum()).sum();
    int mixed = results.stream().mapToInt(r -> Arrays.stream(Phase.values()).mapToInt(p -> r.mixed().get(p)).sum()).sum();
    out.printf("failed requests: %d (target 0); unpaired (query encoder, index) responses: %d (target 0)%n", failed, mixed);
  }
}

package dev.attune.infra.bench;

import dev.attune.infra.data.BeirDataset;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.Limits;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.CorpusFollower;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.ServingNode;
import dev.attune.serving.reembed.FlinkReembedder;
import dev.attune.serving.reembed.FlinkRestClient;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.testkit.StandaloneFlinkCluster;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code attune bench-reembed}: a full round's re-embedding of the same SQuAD passages, in one
 * process (what the indexer does by default) and as the re-embedding job on a standalone Flink
 * cluster (a JobManager and a TaskManager with two slots, separate processes, as in the tests) at
 * each parallelism asked for, through the indexer's own submission path ({@link FlinkReembedder}).
 * Prints passages per second from the job's own duration on the cluster (model loading included)
 * and the wall time the indexer waited (jar upload and scheduling included).
 */
public final class ReembedBench {
  /** Bench settings. */
  public record Config(Path workDir, Path jobJar, int passages, List<Integer> parallelisms, int threadsPerSlot) {}

  private static final Topics TOPICS = Topics.withPrefix("bench-reembed.");
  private static final int MAX_TOKENS = ServingNode.MAX_PASSAGE_TOKENS;
  private final Config config;

  public ReembedBench(Config config) {
    this.config = config;
  }

  public void run(PrintStream out) throws Exception {
    List<Corpus.Passage> corpus = BeirDataset.bundled().corpus().passages();
    corpus = corpus.subList(0, Math.min(config.passages(), corpus.size()));
    ModelRegistry models = new ModelRegistry(config.workDir().resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
    String index = ModelRegistry.name(1);
    String artifact = models.publish(index, models.cloneBase(1));
    out.printf(Locale.ROOT, "corpus: %d SQuAD passages; %s, passages cut at %d tokens; %d cores here%n", corpus.size(),
        ModelSpec.BGE_SMALL_EN_V15.name(), MAX_TOKENS, Runtime.getRuntime().availableProcessors());

    try (Encoder encoder = new OnnxEncoder(index, models.fetch(artifact), ModelSpec.BGE_SMALL_EN_V15, MAX_TOKENS)) {
      long start = System.nanoTime();
      encoder.embed(corpus.stream().map(Corpus.Passage::embeddingText).toList(), MAX_TOKENS, 32, Progress.silent());
      double seconds = (System.nanoTime() - start) / 1e9;
      out.printf(Locale.ROOT, "in one process (ONNX Runtime, all cores): %.1f s, %.1f passages/s%n", seconds, corpus.size() / seconds);
    }

    try (EmbeddedKafka kafka = EmbeddedKafka.start(config.workDir().resolve("kafka"));
        QdrantServer qdrant = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), config.workDir().resolve("qdrant"),
            Duration.ofSeconds(60));
        QdrantVectorStore store = new QdrantVectorStore(QdrantVectorStore.Config.local(qdrant.grpcPort(), "bench"));
        StandaloneFlinkCluster cluster = StandaloneFlinkCluster.start(StandaloneFlinkCluster.classPathWithoutJobCode(), config.workDir().resolve("flink"))) {
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), List.of(TOPICS.corpus()), 2, (short) 1);
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        publisher.publishCorpus(TOPICS.corpus(), corpus);
      }
      String positions;
      try (CorpusFollower follower = new CorpusFollower(kafka.settings(), TOPICS.corpus(), Limits.defaults())) {
        follower.catchUp(Duration.ofMinutes(1));
        positions = follower.positions();
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!cluster.ready()) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("the Flink cluster did not start:\n" + cluster.log("taskmanager"));
        Thread.sleep(500);
      }
      for (int parallelism : config.parallelisms()) {
        FlinkReembedder reembedder = new FlinkReembedder(new FlinkReembedder.Config(URI.create(cluster.restUrl()), config.jobJar(), parallelism,
            config.threadsPerSlot(), Duration.ofHours(2), "", "local", "", "us-east-1"), kafka.settings(), TOPICS.corpus().name(), Limits.defaults(),
            QdrantVectorStore.Config.local(qdrant.grpcPort(), "bench"), ModelSpec.BGE_SMALL_EN_V15.name(), MAX_TOKENS, 32);
        if (store.versions().contains(index)) store.drop(index);
        store.create(index, ModelSpec.BGE_SMALL_EN_V15.hidden());
        FlinkReembedder.Run run = reembedder.embed(reembedder.request(index, artifact, positions), corpus.size());
        double jobSeconds = new FlinkRestClient(URI.create(cluster.restUrl())).durationMillis(run.jobId()) / 1e3;
        long stored = store.count(index);
        if (stored != corpus.size()) throw new IllegalStateException("the job stored " + stored + " of " + corpus.size() + " passages");
        out.printf(Locale.ROOT, "Flink cluster, parallelism %d (%d ONNX thread(s) per slot): job %.1f s, %.1f passages/s; indexer waited %.1f s%n",
            parallelism, config.threadsPerSlot(), jobSeconds, stored / jobSeconds, run.seconds());
      }
    }
  }
}

package dev.attune.infra.demo;

import dev.attune.infra.kafka.EmbeddedKafka;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.CorpusReader;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.ModelWatcher;
import dev.attune.serving.RetrievalService;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.store.LuceneVectorStore;
import dev.attune.streams.assembler.AssemblerConfig;
import dev.attune.streams.assembler.EpisodeAssembler;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.trainers.model.ModelSpec;
import dev.attune.trainers.model.OnnxEncoder;
import dev.attune.trainers.model.Progress;
import dev.attune.trainers.train.ModelRegistry;
import dev.attune.trainers.train.TrainerService;
import dev.attune.trainers.train.TrainerServiceConfig;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Every stage of the loop in one process: a KRaft broker, the serving API over Lucene, the Kafka
 * Streams assembler, the Flink mining job on a MiniCluster, and the DJL trainer. Each is the same
 * code that runs alone against external services ({@code attune serve|assemble|mine|train}).
 */
public final class LocalStack implements AutoCloseable {
  public static final Map<String, String> TASKS = Map.of("qa", "");
  private final Topics topics = Topics.defaults();
  private final DemoConfig config;
  private final List<ModelVersion> decisions = new CopyOnWriteArrayList<>();
  private final List<RetrievalService.Swap> swaps = new CopyOnWriteArrayList<>();
  private EmbeddedKafka kafka;
  private LuceneVectorStore store;
  private RetrievalService service;
  private Javalin http;
  private ModelWatcher watcher;
  private KafkaStreams assembler;
  private JobClient miner;
  private TrainerService trainer;
  private Thread trainerThread;
  private Thread watcherThread;

  public LocalStack(DemoConfig config) {
    this.config = config;
  }

  public Topics topics() {
    return topics;
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public RetrievalService service() {
    return service;
  }

  public URI serviceUri() {
    return URI.create("http://127.0.0.1:" + http.port());
  }

  public List<ModelVersion> decisions() {
    return decisions;
  }

  public List<RetrievalService.Swap> swaps() {
    return swaps;
  }

  /** Starts everything; the corpus is published first so serving and mining see it. */
  public void start(Corpus corpus, Consumer<RetrievalService.Swap> onSwap) throws Exception {
    Path work = config.workDir();
    System.out.println("starting Kafka 4.2 broker (KRaft) ...");
    kafka = EmbeddedKafka.start(work.resolve("kafka"));
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
    try (EventPublisher publisher = new EventPublisher(kafka.bootstrapServers())) {
      for (Corpus.Passage p : corpus.passages()) {
        publisher.publish(topics.corpus(), p.id(), PassageEvent.newBuilder().setPassageId(p.id()).setOp(PassageOp.UPSERT)
            .setTitle(p.title()).setText(p.text()).setTimestampMs(System.currentTimeMillis()).build());
      }
      publisher.flush();
    }
    System.out.printf("published %d passages to %s%n", corpus.passages().size(), topics.corpus().name());

    ModelRegistry registry = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
    store = new LuceneVectorStore(work.resolve("indexes"));
    service = new RetrievalService(store, new EventPublisher(kafka.bootstrapServers()), topics, TASKS,
        config.training().maxQueryTokens(), config.training().maxPassageTokens());
    service.setCorpus(CorpusReader.readAll(kafka.bootstrapServers(), topics.corpus(), Duration.ofMinutes(2)));
    System.out.println("serving: embedding corpus with the pretrained " + ModelSpec.BGE_SMALL_EN_V15.name() + " (ONNX Runtime)");
    var base = new OnnxEncoder(ModelRegistry.name(0), registry.dir(0), ModelSpec.BGE_SMALL_EN_V15, config.training().maxPassageTokens());
    Consumer<RetrievalService.Swap> recordSwap = swap -> {
      swaps.add(swap);
      onSwap.accept(swap);
    };
    recordSwap.accept(service.swapTo(base, Progress.every("embed " + base.version(), service.corpusSize(), 15_000)));
    http = RetrievalApi.create(service).start("127.0.0.1", 0);
    watcher = new ModelWatcher(kafka.bootstrapServers(), topics.modelVersions(), service, ModelSpec.BGE_SMALL_EN_V15,
        config.training().maxPassageTokens(), recordSwap);
    watcherThread = daemon("model-watcher", watcher);

    System.out.println("starting Kafka Streams episode assembler ...");
    assembler = EpisodeAssembler.start(
        AssemblerConfig.defaults(kafka.bootstrapServers(), work.resolve("streams")).withWindow(Duration.ofSeconds(20)),
        Duration.ofMinutes(2));
    System.out.println("starting Flink preference-mining job on a MiniCluster ...");
    miner = new PreferenceMiningJob(MiningJobConfig.defaults(kafka.bootstrapServers())).startLocal();
    trainer = new TrainerService(
        new TrainerServiceConfig(kafka.bootstrapServers(), topics, config.triggerExamples(), config.holdoutPercent(),
            config.promotionMargin(), config.rounds(), config.training()),
        registry, decisions::add);
    trainerThread = daemon("trainer", trainer);
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.setUncaughtExceptionHandler((thread, e) -> {
      System.err.println(thread.getName() + " stopped: " + e);
      e.printStackTrace();
    });
    t.start();
    return t;
  }

  public boolean trainerAlive() {
    return trainerThread != null && trainerThread.isAlive();
  }

  @Override
  public void close() throws Exception {
    if (trainer != null) trainer.stop();
    if (watcher != null) watcher.stop();
    if (trainerThread != null) trainerThread.join(120_000);
    if (watcherThread != null) watcherThread.join(30_000);
    if (miner != null) miner.cancel().get();
    if (assembler != null) assembler.close(Duration.ofSeconds(30));
    if (http != null) http.stop();
    if (service != null) service.close();
    if (store != null) store.close();
    if (kafka != null) kafka.close();
  }
}

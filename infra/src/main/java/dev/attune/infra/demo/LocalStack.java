package dev.attune.infra.demo;

import dev.attune.schemas.KafkaSettings;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.IndexManager;
import dev.attune.serving.RetrievalService;
import dev.attune.serving.ServingIndexes;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.streams.assembler.AssemblerConfig;
import dev.attune.streams.assembler.EpisodeAssembler;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.console.AttuneConsole;
import dev.attune.console.ConsoleConfig;
import dev.attune.infra.llm.CompletionsServer;
import dev.attune.infra.llm.EndpointFaults;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.streams.scoring.CompletionsClient;
import dev.attune.streams.scoring.ScoringConfig;
import dev.attune.streams.scoring.ScoringJob;
import dev.attune.streams.scoring.ScoringJobConfig;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.train.TrainerService;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Every stage of the loop in one process: a KRaft broker, the serving API over Lucene, the Kafka
 * Streams assembler, the Flink mining and scoring jobs on MiniClusters, the DJL trainer and the
 * operator's console. Each is the same code that runs alone against external services ({@code
 * attune serve|assemble|mine|score|train|console}). The API's admin token is made fresh per stack,
 * so even a local stack's console promotes and rolls back only for whoever holds it.
 */
public final class LocalStack implements AutoCloseable {
  private static final EnumSet<IndexManager.SwapKind> NEW_VERSION = EnumSet.of(IndexManager.SwapKind.INITIAL, IndexManager.SwapKind.BUILD,
      IndexManager.SwapKind.QUERY_ENCODER);
  private final Topics topics = Topics.defaults();
  private final DemoConfig config;
  private final List<ModelVersion> decisions = new CopyOnWriteArrayList<>();
  private final List<IndexManager.Swap> swaps = new CopyOnWriteArrayList<>();
  private EmbeddedKafka kafka;
  private ServingNode serving;
  private KafkaStreams assembler;
  private JobClient miner;
  private CompletionsServer llmServer;
  private JobClient scorer;
  private TrainerService trainer;
  private ModelRegistry registry;
  private Thread trainerThread;
  private AttuneConsole console;
  private final String adminToken = newToken();

  public LocalStack(DemoConfig config) {
    this.config = config;
  }

  public Topics topics() {
    return topics;
  }

  public KafkaSettings kafka() {
    return kafka.settings();
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public RetrievalService service() {
    return serving.service();
  }

  private static String newToken() {
    byte[] bytes = new byte[24];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The bearer token the stack's serving API and console require for /v1/ calls and their admin actions. */
  public String adminToken() {
    return adminToken;
  }

  /** The operator's console over this stack. */
  public URI consoleUri() {
    return console.uri();
  }

  public ServingNode serving() {
    return serving;
  }

  public URI serviceUri() {
    return serving.uri();
  }

  /** Where the stack's models live (retrievers and bridges). */
  public ModelRegistry registry() {
    return registry;
  }

  public List<ModelVersion> decisions() {
    return decisions;
  }

  /** Swaps that put a new version live: initial, index built, or query encoder swapped in (not rollbacks). */
  public List<IndexManager.Swap> swaps() {
    return swaps;
  }

  /**
   * Starts everything; the corpus is published first so serving and mining see it. Serving keeps
   * its indexes in Lucene, or in the Qdrant server at {@code qdrant} when given. {@code llm} is the
   * LLM the traffic is scored by: served behind the completions protocol ({@code attune llm-serve})
   * to the scoring stage, which turns the answers the traffic posts into LLM feedback; the trainer
   * asks it to score what a candidate ranks that the traffic's LLM never saw.
   */
  public void start(Corpus corpus, List<RetrievalMetrics.Judged> reference, QdrantVectorStore.Config qdrant, UnigramLmScorer llm,
      Consumer<IndexManager.Swap> onSwap) throws Exception {
    Path work = config.workDir();
    System.out.println("starting Kafka 4.2 broker (KRaft) ...");
    kafka = EmbeddedKafka.start(work.resolve("kafka"));
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publishCorpus(topics.corpus(), corpus.passages());
    }
    System.out.printf("published %d passages to %s%n", corpus.passages().size(), topics.corpus().name());

    registry = new ModelRegistry(work.resolve("models"), config.base());
    System.out.println("serving: embedding corpus with the pretrained " + config.base().name() + " (ONNX Runtime)");
    serving = ServingNode.start(new ServingNode.Config(kafka.settings(), topics, work.resolve("serving"), registry, qdrant, "127.0.0.1", 0, new RetrievalApi.Config(adminToken, false), config.tasks().instructions(),
        ServingNode.MAX_QUERY_TOKENS, ServingNode.MAX_PASSAGE_TOKENS), new IndexManager.Listener() {
          @Override
          public void swapped(IndexManager.Swap swap) {
            if (NEW_VERSION.contains(swap.kind())) announce(swap, onSwap);
          }
        });
    synchronized (this) {
      // The initial swap happened inside start, before the service could be handed out.
      swaps.forEach(onSwap);
    }

    System.out.println("starting Kafka Streams episode assembler ...");
    assembler = EpisodeAssembler.start(
        AssemblerConfig.defaults(kafka.settings(), work.resolve("streams")).withWindow(Duration.ofSeconds(15), Duration.ofSeconds(5)),
        Duration.ofMinutes(2), failure -> System.err.println("episode assembler gave up: " + failure));
    System.out.println("starting Flink preference-mining job on a MiniCluster ...");
    miner = new PreferenceMiningJob(MiningJobConfig.defaults(kafka.settings()))
        .startLocal(work.resolve("mining-checkpoints"), dev.attune.streams.Restarts.defaults());
    llmServer = new CompletionsServer(llm, "127.0.0.1", 0, new EndpointFaults());
    URI endpoint = URI.create("http://127.0.0.1:" + llmServer.port());
    System.out.println("stand-in LLM endpoint (attune llm-serve) at " + endpoint + "; starting the Flink scoring job on a MiniCluster ...");
    scorer = new ScoringJob(ScoringJobConfig.defaults(kafka.settings(),
            ScoringConfig.of(CompletionsClient.Settings.of(endpoint, CompletionsServer.MODEL)).withLlmId(llm.llmId())))
        .startLocal(work.resolve("scoring-checkpoints"), dev.attune.streams.Restarts.defaults());
    // In one process the trainer reads serving's own store: a query-side round embeds no passage.
    trainer = new TrainerService(
        new TrainerServiceConfig(kafka.settings(), topics, config.triggerExamples(), config.holdoutPercent(),
            config.promotion(), config.rounds(), config.training(), config.tasks(), reference).withSchedule(config.schedule()),
        registry, new ServingIndexes(serving.store()), llm, decisions::add, dev.attune.trainers.train.RetrieverTrainer.StepListener.NONE);
    trainerThread = daemon("trainer", trainer);
    console = AttuneConsole.start(ConsoleConfig.of(kafka.settings(), topics, serving.uri(), adminToken), "127.0.0.1", 0);
    System.out.println("operator's console (attune console) at " + console.uri() + "/");
  }

  /** A swap joins {@link #swaps()} only once {@code onSwap} has run, so who waits on the list sees its work done. */
  private synchronized void announce(IndexManager.Swap swap, Consumer<IndexManager.Swap> onSwap) {
    if (serving != null) onSwap.accept(swap);
    swaps.add(swap);
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
    if (console != null) console.close();
    if (trainer != null) trainer.stop();
    if (trainerThread != null) trainerThread.join(120_000);
    if (miner != null) miner.cancel().get();
    if (scorer != null) scorer.cancel().get();
    if (llmServer != null) llmServer.close();
    if (assembler != null) assembler.close(Duration.ofSeconds(30));
    if (serving != null) serving.close();
    if (kafka != null) kafka.close();
  }
}

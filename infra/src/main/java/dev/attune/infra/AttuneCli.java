package dev.attune.infra;

import dev.attune.infra.bench.TrainerBench;
import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.demo.Demo;
import dev.attune.infra.demo.DemoConfig;
import dev.attune.infra.demo.LocalStack;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.infra.replay.LlmOptions;
import dev.attune.infra.replay.Replayer;
import dev.attune.schemas.Topics;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingIndexes;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.streams.assembler.AssemblerConfig;
import dev.attune.streams.assembler.EpisodeAssembler;
import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.trainers.eval.Bm25Baseline;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.eval.RetrieverEvaluator;
import dev.attune.trainers.model.ModelSpec;
import dev.attune.trainers.model.OnnxEncoder;
import dev.attune.trainers.model.Progress;
import dev.attune.trainers.task.Tasks;
import dev.attune.trainers.train.ModelRegistry;
import dev.attune.trainers.model.Truncation;
import dev.attune.trainers.train.PromotionPolicy;
import dev.attune.trainers.train.RetrieverPromotion;
import dev.attune.trainers.train.RoundKind;
import dev.attune.trainers.train.RoundSchedule;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import dev.attune.trainers.train.TrainerService;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code attune} command: the whole loop locally, or one stage against external services. */
@Command(name = "attune", mixinStandardHelpOptions = true, version = "attune 0.1.0",
    description = "Tunes RAG retrievers to what the LLM uses, from live traffic.",
    subcommands = {AttuneCli.DemoCommand.class, AttuneCli.EvalCommand.class, AttuneCli.ServeCommand.class,
        AttuneCli.AssembleCommand.class, AttuneCli.MineCommand.class, AttuneCli.TrainCommand.class, AttuneCli.ReplayCommand.class, AttuneCli.BenchServingCommand.class,
        AttuneCli.BenchMiningCommand.class, AttuneCli.BackfillCommand.class, ModelsCommand.class, TrainerBench.class,
        dev.attune.infra.bridge.EvalBridgeCommand.class, AttuneCli.TrainBridgeCommand.class,
        dev.attune.infra.train.EvalTrainerCommand.class})
public final class AttuneCli {
  public static final String BASE_MODEL = "bge-small-en-v1.5, all-minilm-l6-v2, or a directory with model.onnx, tokenizer.json and attune-model.properties"
      + " (any BERT-family checkpoint in the same ONNX form) (default: ${DEFAULT-VALUE}).";
  public static void main(String[] args) {
    System.exit(new CommandLine(new AttuneCli()).execute(args));
  }

  static void blockUntilInterrupted(AutoCloseable resource) throws Exception {
    runUntilStopped(resource, new CompletableFuture<>());
  }

  /**
   * Runs until the process is interrupted (exit code 0) or {@code failure} completes with why the
   * stage gave up (exit code 1, so an orchestrator restarts it); closes {@code resource} either way.
   */
  static int runUntilStopped(AutoCloseable resource, CompletableFuture<String> failure) throws Exception {
    CompletableFuture<String> stop = new CompletableFuture<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.complete(null)));
    String why;
    try {
      why = (String) CompletableFuture.anyOf(stop, failure).get();
    } finally {
      resource.close();
    }
    if (why == null) return 0;
    System.err.println(why);
    return 1;
  }

  @Command(name = "demo", description = "Run the whole loop in this process (broker, Streams, Flink MiniCluster, trainer, Lucene) and print a summary.")
  static final class DemoCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Smaller corpus and fewer steps (a few minutes).") boolean quick;
    @Option(names = "--work-dir", defaultValue = ".attune/demo", description = "Where broker logs, state, models and indexes go (default: ${DEFAULT-VALUE}).") Path workDir;
    @CommandLine.Mixin dev.attune.infra.train.TrainingOptions training;
    @Option(names = "--bridge", description = "Then train a BGM bridge on the mined silver sequences, print its comparison table and serve it.") boolean bridge;
    @Option(names = "--round", defaultValue = "query", description = "query (the round keeps the live index; serving swaps the query encoder alone) or full (both towers, re-index) (default: ${DEFAULT-VALUE}).")
    String round;
    @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = BASE_MODEL) String baseModel;
    @CommandLine.Mixin StoreOptions storeOptions;

    @Override
    public Integer call() throws Exception {
      deleteTree(workDir);
      try (StoreChoice store = storeOptions.open(workDir.resolve("qdrant"))) {
        DemoConfig config = (quick ? DemoConfig.quick(workDir) : DemoConfig.standard(workDir)).withQdrant(store.qdrant());
        config = config.withTraining(training.over(config.training()));
        if (bridge) config = config.withBridge(dev.attune.trainers.bridge.BridgeConfig.defaults());
        switch (round) {
          case "query" -> { }
          case "full" -> config = config.withSchedule(RoundSchedule.always(RoundKind.FULL));
          default -> throw new CommandLine.ParameterException(new CommandLine(this), "--round must be query or full, not " + round);
        }
        config = config.withBase(ModelSpec.resolve(baseModel));
        Demo.print(new Demo(config).run(), System.out);
      }
      return 0;
    }
  }

  @Command(name = "eval", description = "Print recall@5, nDCG@10 and answer recall@5 of a model and of BM25 on a BEIR-layout query set (exact search).")
  static final class EvalCommand implements Callable<Integer> {
    @Option(names = "--queries", description = "BEIR directory (corpus.jsonl, queries.jsonl, qrels/dev.tsv); default: the bundled SQuAD dev.") Path queries;
    @Option(names = "--model", defaultValue = "0", split = ",", description = "Model version numbers, e.g. 0,3 (default: ${DEFAULT-VALUE}, the pretrained base).") List<Integer> models;
    @Option(names = "--models-dir", defaultValue = ".attune/demo/models") Path modelsDir;
    @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = BASE_MODEL) String baseModel;
    @Option(names = "--tasks", description = "Task catalogue (properties); default: the built-in one.") Path tasksFile;
    @Option(names = "--articles", defaultValue = "0", description = "Only the first N articles (0 = all).") int articles;
    @Option(names = "--max-passage-tokens", defaultValue = "512") int maxPassageTokens;

    @Override
    public Integer call() throws Exception {
      BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
      if (articles > 0) data = data.firstArticles(articles);
      ModelSpec spec = ModelSpec.resolve(baseModel);
      ModelRegistry registry = new ModelRegistry(modelsDir, spec);
      Tasks tasks = tasksFile == null ? Tasks.defaults() : Tasks.load(tasksFile);
      var passages = data.corpus().passages();
      List<String> ids = passages.stream().map(p -> p.id()).toList();
      List<String> texts = passages.stream().map(p -> p.embeddingText()).toList();
      RetrieverEvaluator evaluator = new RetrieverEvaluator(ids, texts, 64, maxPassageTokens);
      System.out.printf("%d queries, %d passages (exact search)%n", data.queries().size(), passages.size());
      print("bm25 (lexical)", Bm25Baseline.evaluate(ids, texts, data.queries()));
      for (int model : models) {
        // A query-side version searches the index of the version it was trained against: passages come from that one's encoder.
        Path queryDir = registry.dir(model);
        Path passageDir = ModelRegistry.recordedIndex(queryDir)
            .map(index -> registry.dir(Integer.parseInt(index.substring(ModelRegistry.RETRIEVER.length())))).orElse(queryDir);
        try (OnnxEncoder queries = new OnnxEncoder(ModelRegistry.name(model), queryDir, ModelSpec.of(queryDir, spec), maxPassageTokens);
            OnnxEncoder passageEncoder = new OnnxEncoder("index of " + queries.version(), passageDir, ModelSpec.of(passageDir, spec), maxPassageTokens)) {
          float[][] corpus = evaluator.embedCorpus(passageEncoder, Progress.every("embed " + passageEncoder.version(), passages.size(), 10_000));
          print(queries.version(), evaluator.evaluate(queries, corpus, data.queries(), tasks));
        }
      }
      return 0;
    }

    private static void print(String name, Map<String, Double> metrics) {
      System.out.printf("%-16s recall@5 %.4f  nDCG@10 %.4f  answer recall@5 %.4f%n", name, metrics.get(RetrievalMetrics.RECALL_5),
          metrics.get(RetrievalMetrics.NDCG_10), metrics.get(RetrievalMetrics.ANSWER_RECALL_5));
    }
  }

  static class KafkaOptions {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).") String bootstrap;
  }

  /** The chosen store: Qdrant settings (null for Lucene) and the local server started for them, if any. */
  record StoreChoice(QdrantVectorStore.Config qdrant, QdrantServer server) implements AutoCloseable {
    @Override
    public void close() {
      if (server != null) server.close();
    }
  }

  /** Where serving keeps its indexes. */
  static class StoreOptions {
    @Option(names = "--store", defaultValue = "lucene", description = "lucene (embedded), qdrant (a running server) or qdrant-local (downloads and starts Qdrant 1.16.3) (default: ${DEFAULT-VALUE}).") String store;
    @Option(names = "--qdrant-host", defaultValue = "127.0.0.1") String qdrantHost;
    @Option(names = "--qdrant-grpc-port", defaultValue = "6334") int qdrantGrpcPort;
    @Option(names = "--qdrant-alias", defaultValue = "attune_passages", description = "Alias serving reads through; collections are <alias>_<version>.") String alias;
    @Option(names = "--qdrant-api-key", description = "Qdrant API key (or env QDRANT_API_KEY).") String apiKey;

    /** Resolves the choice, starting a local Qdrant server under {@code dir} for qdrant-local. */
    StoreChoice open(Path dir) {
      switch (store) {
        case "lucene":
          return new StoreChoice(null, null);
        case "qdrant":
          String key = apiKey != null ? apiKey : System.getenv("QDRANT_API_KEY");
          return new StoreChoice(new QdrantVectorStore.Config(qdrantHost, qdrantGrpcPort, alias, key, 256, Duration.ofSeconds(30)), null);
        case "qdrant-local":
          QdrantServer server = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), dir, Duration.ofSeconds(60));
          System.out.printf("started Qdrant %s on 127.0.0.1 (grpc %d, http %d), storage under %s%n",
              QdrantServer.VERSION, server.grpcPort(), server.httpPort(), dir);
          return new StoreChoice(QdrantVectorStore.Config.local(server.grpcPort(), alias), server);
        default:
          throw new CommandLine.ParameterException(new CommandLine(this), "--store must be lucene, qdrant or qdrant-local, not " + store);
      }
    }
  }

  @Command(name = "serve", description = "Run the retrieval API against an external Kafka (corpus from the corpus topic, models from the model-versions topic).")
  static final class ServeCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @CommandLine.Mixin StoreOptions storeOptions;
    @Option(names = "--port", defaultValue = "8080") int port;
    @Option(names = "--host", defaultValue = "0.0.0.0") String host;
    @Option(names = "--work-dir", defaultValue = ".attune/serve") Path workDir;
    @Option(names = "--models-dir", defaultValue = ".attune/serve/models", description = "Where the pretrained base is unpacked (default: ${DEFAULT-VALUE}).") Path modelsDir;
    @Option(names = "--token-env", defaultValue = "ATTUNE_API_TOKEN", description = "Environment variable holding the bearer token /v1/ calls must present; unset = no authentication (default: ${DEFAULT-VALUE}).") String tokenEnv;
    @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = BASE_MODEL) String baseModel;
    @Option(names = "--bridge-by-default", description = "Pass /v1/retrieve requests that do not say \"bridge\" through the serving bridge.") boolean bridgeByDefault;
    @Option(names = "--publish-timeout", defaultValue = "PT5S", description = "How long a request waits for the broker to acknowledge its events before answering 503 (ISO-8601) (default: ${DEFAULT-VALUE}).") Duration publishTimeout;
    @CommandLine.Mixin LimitsOptions limits;

    @Override
    public Integer call() throws Exception {
      StoreChoice store = storeOptions.open(workDir.resolve("qdrant"));
      String token = System.getenv(tokenEnv);
      ServingNode node = ServingNode.start(new ServingNode.Config(kafka.bootstrap, Topics.defaults(), workDir, modelsDir,
          ModelSpec.resolve(baseModel), store.qdrant(), host, port, new RetrievalApi.Config(token == null || token.isBlank() ? null : token, bridgeByDefault, limits.limits(), publishTimeout), Tasks.defaults().instructions(), ServingNode.MAX_QUERY_TOKENS,
          ServingNode.MAX_PASSAGE_TOKENS),
          new IndexManager.Listener() {});
      System.out.printf("serving %s on %s:%d%n", node.indexes().current().modelVersion(), host, port);
      blockUntilInterrupted(() -> {
        node.close();
        store.close();
      });
      return 0;
    }
  }

  @Command(name = "bench-serving", description = "Queries at a fixed rate through a swap (full: re-embedding; query-side: one query encoder), on Lucene and a real Qdrant; prints p50/p99 per phase, failed and unpaired responses, swap time, raw search throughput.")
  static final class BenchServingCommand implements Callable<Integer> {
    @Option(names = "--work-dir", defaultValue = ".attune/bench-serving") Path workDir;
    @Option(names = "--articles", defaultValue = "4", description = "SQuAD articles in the corpus (default: ${DEFAULT-VALUE}).") int articles;
    @Option(names = "--rate", defaultValue = "10", description = "Requests per second (default: ${DEFAULT-VALUE}).") double rate;
    @Option(names = "--steady-seconds", defaultValue = "15", description = "Length of the before and after phases (default: ${DEFAULT-VALUE}).") int steady;
    @Option(names = "--stores", defaultValue = "lucene,qdrant", split = ",", description = "Stores to measure (default: ${DEFAULT-VALUE}).") java.util.List<String> stores;
    @Option(names = "--swap", defaultValue = "full", description = "full (the new version re-embeds the corpus) or query-side (its query encoder alone, on the live index) (default: ${DEFAULT-VALUE}).")
    String swap;
    @Option(names = "--passages", defaultValue = "0", description = "With --swap query-side: pad the index with synthetic passages up to this size (imported, not embedded) (default: ${DEFAULT-VALUE}: the articles' passages only).")
    int passages;

    @Override
    public Integer call() throws Exception {
      if (!swap.equals("full") && !swap.equals("query-side")) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--swap must be full or query-side, not " + swap);
      }
      if (passages > 0 && swap.equals("full")) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--passages pads an imported index: it needs --swap query-side");
      }
      deleteTree(workDir);
      var results = new dev.attune.infra.bench.SwapBench(new dev.attune.infra.bench.SwapBench.Config(workDir, articles, rate,
          Duration.ofSeconds(steady), Duration.ofSeconds(5), stores, swap.equals("query-side"), passages)).run(System.out);
      return results.stream().allMatch(r -> r.failed().values().stream().allMatch(f -> f == 0)
          && r.mixed().values().stream().allMatch(m -> m == 0)) ? 0 : 1;
    }
  }

  @Command(name = "bench-mining", description = "Synthetic traffic through broker, assembler and mining job in this process; prints episodes/s, examples/s, p50/p99 latency and the raw broker ceiling.")
  static final class BenchMiningCommand implements Callable<Integer> {
    @Option(names = "--work-dir", defaultValue = ".attune/bench-mining") Path workDir;
    @Option(names = "--requests", defaultValue = "5000", description = "Requests to push, four events each (default: ${DEFAULT-VALUE}).") int requests;
    @Option(names = "--candidates", defaultValue = "10", description = "Retrieved and LLM-scored passages per request (default: ${DEFAULT-VALUE}).") int candidates;
    @Option(names = "--corpus", defaultValue = "5000", description = "Passages in the synthetic corpus (default: ${DEFAULT-VALUE}).") int corpus;
    @Option(names = "--checkpoint-ms", defaultValue = "1000", description = "Mining job checkpoint (= commit) interval (default: ${DEFAULT-VALUE}).") long checkpointMs;
    @Option(names = "--rate", defaultValue = "0", description = "Requests per second; 0 sends a burst (default: ${DEFAULT-VALUE}).") double rate;

    @Override
    public Integer call() throws Exception {
      deleteTree(workDir);
      var result = new dev.attune.infra.bench.MiningBench(new dev.attune.infra.bench.MiningBench.Config(
          workDir, requests, candidates, corpus, Duration.ofMillis(checkpointMs), rate)).run(System.out);
      return result.deadLetters() == 0 ? 0 : 1;
    }
  }

  @Command(name = "backfill", description = "Re-mine a range of the episodes topic with the current rules (bounded Flink job on a MiniCluster) into topics with another prefix; exits when done.")
  static final class BackfillCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @Option(names = "--from", defaultValue = "earliest", description = "earliest, latest, timestamp:<epoch ms> or offsets:<partition>=<offset>,... (default: ${DEFAULT-VALUE}).") String from;
    @Option(names = "--to", defaultValue = "latest", description = "Where to stop, same forms (default: ${DEFAULT-VALUE}).") String to;
    @Option(names = "--output-prefix", defaultValue = "attune.backfill.", description = "Prefix of the topics written (default: ${DEFAULT-VALUE}).") String outputPrefix;

    @Override
    public Integer call() throws Exception {
      Topics outputs = Topics.withPrefix(outputPrefix);
      dev.attune.infra.kafka.EmbeddedKafka.createTopics(kafka.bootstrap, outputs.all(), 1, (short) 1);
      MiningJobConfig config = MiningJobConfig.defaults(kafka.bootstrap).asBackfill(
          new dev.attune.streams.mining.Backfill(dev.attune.streams.mining.OffsetSpec.parse(from), dev.attune.streams.mining.OffsetSpec.parse(to)),
          outputs, "attune-backfill-" + System.currentTimeMillis());
      System.out.printf("backfill: episodes %s .. %s -> %s*%n", from, to, outputPrefix);
      // A fresh run each time: a backfill is a bounded re-mine, cheap to repeat.
      java.nio.file.Path checkpoints = java.nio.file.Files.createTempDirectory("attune-backfill-checkpoints");
      new PreferenceMiningJob(config).startLocal(checkpoints, dev.attune.streams.Restarts.defaults()).getJobExecutionResult().get();
      long examples = dev.attune.infra.demo.StageCounts.readAll(kafka.bootstrap, outputs.trainingExamples().name(), v -> {});
      long dead = dev.attune.infra.demo.StageCounts.readAll(kafka.bootstrap, outputs.deadLetters().name(), v -> {});
      System.out.printf("backfill done: %d examples, %d dead letters in %s%n", examples, dead, outputPrefix);
      return 0;
    }
  }

  @Command(name = "assemble", description = "Run the Kafka Streams episode assembler against an external Kafka.")
  static final class AssembleCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @Option(names = "--state-dir", defaultValue = ".attune/streams") Path stateDir;
    @Option(names = "--replication-factor", defaultValue = "1") int replication;
    @Option(names = "--window", defaultValue = "PT30S", description = "Event-time episode window (ISO-8601).") Duration window;
    @Option(names = "--grace", defaultValue = "PT10S", description = "Grace for late events after the window (ISO-8601).") Duration grace;
    @Option(names = "--missing-llm-feedback", defaultValue = "EMIT_HUMAN_ONLY",
        description = "EMIT_HUMAN_ONLY or DEAD_LETTER for episodes closed without LLM feedback.") AssemblerConfig.MissingLlmFeedback missingLlm;
    @CommandLine.Mixin LimitsOptions limits;

    @Override
    public Integer call() throws Exception {
      AssemblerConfig defaults = AssemblerConfig.defaults(kafka.bootstrap, stateDir);
      AssemblerConfig config = new AssemblerConfig(defaults.bootstrapServers(), defaults.applicationId(), defaults.topics(), window,
          grace, missingLlm, defaults.closedRetention(), defaults.closeCheckInterval(), defaults.closeWhenComplete(), stateDir, replication,
          limits.limits(), defaults.restarts());
      CompletableFuture<String> gaveUp = new CompletableFuture<>();
      var streams = EpisodeAssembler.start(config, Duration.ofMinutes(2),
          failure -> gaveUp.complete("assembler gave up after " + config.restarts().attempts() + " restarts: " + failure));
      System.out.println("assembler RUNNING");
      return runUntilStopped(() -> streams.close(Duration.ofSeconds(30)), gaveUp);
    }
  }

  @Command(name = "mine", description = "Run the Flink preference-mining job on a local MiniCluster against an external Kafka (or submit the streams job jar to a cluster).")
  static final class MineCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @Option(names = "--work-dir", defaultValue = ".attune/mine", description = "Where the job keeps its state (default: ${DEFAULT-VALUE}).") Path workDir;
    @Option(names = "--checkpoint-dir", description = "Checkpoints, kept across restarts and resumed from on start (default: <work-dir>/checkpoints).") Path checkpointDir;
    @CommandLine.Mixin LimitsOptions limits;

    @Override
    public Integer call() throws Exception {
      MiningJobConfig defaults = MiningJobConfig.defaults(kafka.bootstrap);
      MiningJobConfig config = defaults.withRules(defaults.rules().withLimits(limits.limits()));
      Path checkpoints = checkpointDir != null ? checkpointDir : workDir.resolve("checkpoints");
      var job = new PreferenceMiningJob(config).startLocal(checkpoints, dev.attune.streams.Restarts.defaults());
      System.out.println("mining job " + job.getJobID() + " running, checkpoints in " + checkpoints);
      // The job ends only by failing for good (its restarts spent) or by being cancelled: either way this process ends.
      CompletableFuture<String> ended = job.getJobExecutionResult()
          .handle((result, failure) -> "mining job ended: " + (failure == null ? "finished" : failure.getMessage()));
      var states = reportStates(job);
      return runUntilStopped(() -> {
        states.shutdownNow();
        if (!ended.isDone()) job.cancel().get();
      }, ended);
    }

    /** Prints each change of the job's state (a restart after a failure shows as RESTARTING), for whoever watches the process. */
    private static java.util.concurrent.ScheduledExecutorService reportStates(org.apache.flink.core.execution.JobClient job) {
      var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mining-job-state");
        t.setDaemon(true);
        return t;
      });
      String[] last = {null};
      timer.scheduleWithFixedDelay(() -> {
        try {
          String now = job.getJobStatus().get().name();
          if (!now.equals(last[0])) System.out.println("mining job " + (last[0] == null ? "" : last[0] + " -> ") + now);
          last[0] = now;
        } catch (Exception e) {
          // The job is gone; its end is reported through the execution result.
        }
      }, 0, 2, java.util.concurrent.TimeUnit.SECONDS);
      return timer;
    }
  }

  /** Which rounds the trainer runs. */
  static class RoundOptions {
    @Option(names = "--round", defaultValue = "query", description = "query (query-side rounds: the live index is kept) or full (both towers, re-index) (default: ${DEFAULT-VALUE}).")
    String round;
    @Option(names = "--full-every", defaultValue = "10", description = "With --round query: a full round after this many query-side rounds on one index; 0 = never (default: ${DEFAULT-VALUE}).")
    int fullEvery;
    @Option(names = "--full-after-rejections", defaultValue = "2", description = "With --round query: a full round after this many rejected query-side rounds in a row; 0 = never (default: ${DEFAULT-VALUE}).")
    int fullAfterRejections;

    RoundSchedule schedule() {
      return switch (round) {
        case "query" -> new RoundSchedule(RoundKind.QUERY_SIDE, fullEvery, fullAfterRejections);
        case "full" -> RoundSchedule.always(RoundKind.FULL);
        default -> throw new CommandLine.ParameterException(new CommandLine(this), "--round must be query or full, not " + round);
      };
    }
  }

  @Command(name = "train", description = "Run the trainer service against an external Kafka; it resumes from its state in --models-dir.")
  static final class TrainCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @Option(names = "--models-dir", defaultValue = ".attune/models") Path modelsDir;
    @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = BASE_MODEL) String baseModel;
    @Option(names = "--trigger", defaultValue = "400", description = "Train every N new examples (default: ${DEFAULT-VALUE}).") int trigger;
    @CommandLine.Mixin dev.attune.infra.train.TrainingOptions training;
    @CommandLine.Mixin RoundOptions rounds;
    @Option(names = "--tasks", description = "Properties file with <task>.instruction and <task>.distillation; default: the built-in catalogue.") Path tasksFile;
    @Option(names = "--reference", description = "BEIR directory of the fixed reference set; default: none.") Path reference;
    @Option(names = "--margin", defaultValue = "0.0", description = "Held-out LLM utility@5 gain required to promote (default: ${DEFAULT-VALUE}).") double margin;
    @Option(names = "--tolerance", defaultValue = "0.01", description = "Largest drop allowed on a human-labelled measure (held-out and reference) (default: ${DEFAULT-VALUE}).") double tolerance;
    @Option(names = "--min-held-out", defaultValue = "30", description = "Below this many labelled held-out traffic queries the reference set is pooled into the human-labelled guard (default: ${DEFAULT-VALUE}).") int minHeldOut;
    @Option(names = "--llm-score-budget", defaultValue = "5000", description = "Most passages a decision asks the LLM to score, so both models are judged over one pool (default: ${DEFAULT-VALUE}).") int llmBudget;
    @Option(names = "--corpus", description = "BEIR directory whose corpus fits the offline scorer; default: the bundled SQuAD dev.") Path corpus;
    @CommandLine.Mixin LlmOptions llm;
    @CommandLine.Mixin StoreOptions storeOptions;

    @Override
    public Integer call() throws Exception {
      TrainerConfig settings = training.over(TrainerConfig.defaults());
      Tasks tasks = tasksFile == null ? Tasks.defaults() : Tasks.load(tasksFile);
      var referenceSet = reference == null ? java.util.List.<RetrievalMetrics.Judged>of() : BeirDataset.fromDirectoryOrBundled(reference).queries();
      if (storeOptions.store.equals("qdrant-local")) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--store qdrant-local would start an empty Qdrant; give the Qdrant serving uses with --store qdrant");
      }
      // Serving's Lucene store lives inside its process: without a reachable Qdrant the trainer embeds each index once itself.
      try (StoreChoice store = storeOptions.open(modelsDir.resolve("qdrant"));
          var servingStore = store.qdrant() == null ? null : new QdrantVectorStore(store.qdrant());
          LlmScorer scorer = llm.open(BeirDataset.fromDirectoryOrBundled(corpus).corpus().passages().stream().map(p -> p.text()).toList())) {
        TrainerService trainer = new TrainerService(
            new TrainerServiceConfig(kafka.bootstrap, Topics.defaults(), trigger, 10, new RetrieverPromotion(margin, tolerance, minHeldOut), 0, settings,
                tasks, referenceSet, rounds.schedule(), Truncation.SERVING, llmBudget),
            new ModelRegistry(modelsDir, ModelSpec.resolve(baseModel)), servingStore == null ? null : new ServingIndexes(servingStore), scorer,
            v -> {}, RetrieverTrainer.StepListener.NONE);
        trainer.run();
      }
      return 0;
    }
  }

  @Command(name = "train-bridge", description = "Run one bridge round against an external Kafka: train on the new silver sequences, judge on held-out ones, publish a BRIDGE model version; resumes an unfinished round.")
  static final class TrainBridgeCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @Option(names = "--models-dir", defaultValue = ".attune/models") Path modelsDir;
    @Option(names = "--min-examples", defaultValue = "50", description = "New silver sequences a round needs (default: ${DEFAULT-VALUE}).") int minExamples;
    @Option(names = "--holdout", defaultValue = "20", description = "Percent of silver sequences held out for the decision (default: ${DEFAULT-VALUE}).") int holdout;
    @Option(names = "--margin", defaultValue = "0.0", description = "Held-out utility gain over the serving bridge (or top-k) required to promote (default: ${DEFAULT-VALUE}).") double margin;
    @Option(names = "--corpus", description = "BEIR directory whose corpus fits the offline scorer; default: the bundled SQuAD dev.") Path corpus;
    @Option(names = "--base-model", defaultValue = "bge-small-en-v1.5", description = BASE_MODEL) String baseModel;
    @Option(names = "--every", description = "Keep running: look for a round at this interval (ISO-8601, e.g. PT10M) until interrupted; default: one round, then exit.") Duration every;
    @CommandLine.Mixin dev.attune.infra.bridge.BridgeOptions bridge;
    @CommandLine.Mixin LlmOptions llm;

    @Override
    public Integer call() throws Exception {
      BeirDataset data = BeirDataset.fromDirectoryOrBundled(corpus);
      try (LlmScorer scorer = llm.open(data.corpus().passages().stream().map(p -> p.text()).toList())) {
        var config = new dev.attune.trainers.bridge.BridgeServiceConfig(kafka.bootstrap, Topics.defaults(), minExamples, holdout,
            new PromotionPolicy(dev.attune.trainers.bridge.BridgeEvaluation.UTILITY, margin, 0.01), bridge.topK(), bridge.config(), Tasks.defaults());
        var service = new dev.attune.trainers.bridge.BridgeService(config, new ModelRegistry(modelsDir, ModelSpec.resolve(baseModel)),
            llm.reward(scorer), RetrieverTrainer.StepListener.NONE);
        if (every == null) {
          round(service);
          return 0;
        }
        var scheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        scheduler.scheduleWithFixedDelay(() -> {
          try {
            round(service);
          } catch (Exception e) {
            // A failed round leaves its state and checkpoint; the next look resumes it.
            System.err.println("bridge trainer: round failed, will retry: " + e);
          }
        }, 0, every.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        blockUntilInterrupted(scheduler::shutdownNow);
        return 0;
      }
    }

    private static void round(dev.attune.trainers.bridge.BridgeService service) throws Exception {
      service.runRound().ifPresent(o -> dev.attune.infra.bridge.BridgeTable.print(
          o.decision().getName() + " " + o.decision().getStatus() + ": " + o.decision().getReason(), o.table(), System.out));
    }
  }


  @Command(name = "replay", description = "Drive a running service with a BEIR query set and an LLM scorer.")
  static final class ReplayCommand implements Callable<Integer> {
    @Option(names = "--service", defaultValue = "http://localhost:8080") URI service;
    @Option(names = "--queries", description = "BEIR directory; default: the bundled SQuAD dev.") Path queries;
    @Option(names = "--limit", defaultValue = "500") int limit;
    @Option(names = "--k", defaultValue = "10") int k;
    @CommandLine.Mixin LlmOptions llm;

    @Override
    public Integer call() throws Exception {
      BeirDataset data = BeirDataset.fromDirectoryOrBundled(queries);
      var sample = data.queries().subList(0, Math.min(limit, data.queries().size()));
      try (LlmScorer scorer = llm.open(data.corpus().passages().stream().map(p -> p.text()).toList())) {
        var summary = new Replayer(service, scorer, k).replay(sample, Progress.every("replay", sample.size(), 10_000));
        System.out.printf("replayed %d queries, %d feedback events, %d failures%n", summary.queries(), summary.feedbackEvents(), summary.failures());
        return summary.failures() == 0 ? 0 : 1;
      }
    }
  }

  public static void deleteTree(Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.exists(dir)) return;
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(p);
    }
  }
}

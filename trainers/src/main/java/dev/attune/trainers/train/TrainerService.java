package dev.attune.trainers.train;

import ai.djl.Device;
import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.schemas.KafkaAccess;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.OffsetRange;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.trainers.eval.LlmJudge;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.index.IndexCache;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.index.StoredIndex;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.trainers.model.NativeHeap;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Consumes training examples, the corpus and the model-version log. Once {@code triggerExamples}
 * new examples have arrived it fixes their offset range and kind ({@link RoundSchedule}) as a round,
 * fine-tunes the serving retriever on exactly that range (checkpointing as it goes), scores the
 * candidate against the serving model on held-out traffic and the reference set, and publishes a
 * {@link ModelVersion} with the decision, its metrics, its lineage and the index it searches.
 *
 * <p>A query-side round trains only the query tower against the serving index's own passage
 * embeddings ({@link IndexCache}: read from serving's store or kept from the round that built the
 * index; no passage is re-encoded), and its candidate is served on that same index. A full round
 * trains both towers and its candidate's index is embedded once here for the decision, and again by
 * serving. Progress over the examples topic lives in {@link TrainerState}, not in consumer-group
 * offsets, so a killed trainer resumes the same round from its last checkpoint. The parent of a
 * round is the version the model log serves ({@link ModelLog}), rollbacks included. Run alone with
 * {@code attune train}.
 */
public final class TrainerService implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
  private final TrainerServiceConfig config;
  private final ModelRegistry registry;
  private final Consumer<ModelVersion> onDecision;
  private final RetrieverTrainer.StepListener stepListener;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, PassageText> corpus = new LinkedHashMap<>();
  private final Map<String, RetrievalMetrics.Judged> heldOut = new LinkedHashMap<>();
  private final Map<String, List<String>> heldOutLlms = new HashMap<>();
  private final ModelLog models = new ModelLog(ModelKind.RETRIEVER);
  private final IndexCache indexes;
  private final LlmJudge judge;
  private final CandidateEvaluator evaluator;
  private final Path stateDir;
  private TrainerState state;
  private int rounds = 0;

  /** A corpus passage as the trainer holds it. */
  private record PassageText(String title, String text) {
    String embeddingText() {
      return title == null || title.isBlank() ? text : title + ". " + text;
    }
  }

  /** A trainer that cannot reach serving's store (it embeds an index once) and has no LLM to judge with. */
  public TrainerService(TrainerServiceConfig config, ModelRegistry registry, Consumer<ModelVersion> onDecision) {
    this(config, registry, null, null, onDecision, RetrieverTrainer.StepListener.NONE);
  }

  /**
   * @param store serving's store, where the trainer reads an index's passage embeddings; null:
   *     embedded once with the index's passage encoder instead
   * @param llm the LLM the traffic's teacher scores come from, to score the passages a model ranks
   *     that it never scored (fair LLM utility); null: none are scored and the coverage says so
   */
  public TrainerService(TrainerServiceConfig config, ModelRegistry registry, StoredIndex store, LlmScorer llm,
      Consumer<ModelVersion> onDecision, RetrieverTrainer.StepListener stepListener) {
    this.config = config;
    this.registry = registry;
    this.onDecision = onDecision;
    this.stepListener = stepListener;
    this.stateDir = registry.stateDir();
    this.state = TrainerState.load(stateDir);
    this.indexes = new IndexCache(stateDir.resolve("index-cache"), store, this::passageEncoder, config.serving().passageTokens());
    this.judge = llm == null ? LlmJudge.none() : new LlmJudge(llm, config.llmScoreBudget(), 100_000);
    this.evaluator = new CandidateEvaluator(registry.spec(), config.tasks(), config.serving(), judge);
  }

  /**
   * A decided version's model directory, from where the model log says it was published (fetched
   * and checked when that is an object store, so a trainer on a fresh machine continues from the
   * served version); the unpacked base for version 0.
   */
  private Path versionDir(int version) {
    ModelVersion v = models.versions().get(version);
    return version == 0 || v == null ? registry.dir(version) : registry.fetch(v.getArtifactUri());
  }

  /** The passage encoder of retriever {@code name} (a version that embeds its own passages) under ONNX Runtime. */
  private Encoder passageEncoder(String name) {
    Path dir = versionDir(Integer.parseInt(name.substring(ModelRegistry.RETRIEVER.length())));
    try {
      return new OnnxEncoder(name, dir, ModelSpec.of(dir, registry.spec()), config.serving().passageTokens());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the passage encoder of " + name + " at " + dir, e);
    }
  }

  public void stop() {
    running.set(false);
  }

  @Override
  public void run() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config.kafka().consumer("trainer"), new StringDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config.kafka().producer("trainer"), new StringSerializer(), new ByteArraySerializer())) {
      List<TopicPartition> examplePartitions = KafkaAccess.partitions(consumer, config.topics().trainingExamples().name(), config.kafka().bootstrapServers());
      List<TopicPartition> logPartitions = new ArrayList<>(KafkaAccess.partitions(consumer, config.topics().corpus().name(), config.kafka().bootstrapServers()));
      logPartitions.addAll(KafkaAccess.partitions(consumer, config.topics().modelVersions().name(), config.kafka().bootstrapServers()));
      List<TopicPartition> all = new ArrayList<>(examplePartitions);
      all.addAll(logPartitions);
      consumer.assign(all);
      consumer.seekToBeginning(all);
      // Corpus and model log are read up to where they stood at start before any round is decided.
      Map<TopicPartition, Long> startupEnds = consumer.endOffsets(logPartitions);
      Map<Integer, TreeMap<Long, TrainingExample>> waiting = new TreeMap<>();
      examplePartitions.forEach(tp -> waiting.put(tp.partition(), new TreeMap<>()));
      boolean ready = false;
      while (running.get() && (config.maxRounds() == 0 || rounds < config.maxRounds())) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) accept(r, waiting);
        if (!caughtUp(consumer, startupEnds)) continue;
        if (!ready) {
          ready = true;
          LOG.info(String.format(Locale.ROOT, "trainer ready: corpus and model log read, serving %s, %d examples waiting (a round every %d)",
              models.servingVersion(), count(waiting), config.triggerExamples()));
        }
        TrainerState.Round round = state.round();
        if (round != null && models.versions().containsKey(round.version())) {
          // Killed after publishing but before recording: the round is done.
          finishRound(waiting);
        } else if (round != null) {
          if (reached(consumer, examplePartitions, round.until())) runRound(round, waiting, producer);
        } else if (count(waiting) >= config.triggerExamples() && !heldOut.isEmpty()) {
          // The round takes everything published so far; it runs once the consumer has read that far.
          Map<TopicPartition, Long> ends = consumer.endOffsets(examplePartitions);
          Map<Integer, Long> from = new TreeMap<>();
          Map<Integer, Long> until = new TreeMap<>();
          for (TopicPartition tp : examplePartitions) {
            from.put(tp.partition(), state.consumed(tp.partition()));
            until.put(tp.partition(), Math.max(state.consumed(tp.partition()), ends.get(tp)));
          }
          RoundSchedule.Planned planned = config.schedule().next(models);
          state = state.start(new TrainerState.Round(registry.nextVersion(), models.servingVersion(), planned.kind(), from, until));
          state.save(stateDir);
          LOG.info(String.format(Locale.ROOT, "next round %s is %s (%s)", ModelRegistry.name(state.round().version()),
              planned.kind() == RoundKind.FULL ? "full" : "query-side", planned.why()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("trainer failed: " + e.getMessage(), e);
    }
  }

  private void accept(ConsumerRecord<String, byte[]> r, Map<Integer, TreeMap<Long, TrainingExample>> waiting) {
    try {
      if (r.topic().equals(config.topics().corpus().name())) {
        PassageEvent p = AvroCodec.of(PassageEvent.class).decode(r.value());
        if (p.getOp() == PassageOp.DELETE) corpus.remove(p.getPassageId());
        else if (p.getText() != null) corpus.put(p.getPassageId(), new PassageText(p.getTitle(), p.getText()));
      } else if (r.topic().equals(config.topics().modelVersions().name())) {
        models.apply(AvroCodec.of(ModelVersion.class).decode(r.value()));
      } else {
        TrainingExample e = AvroCodec.of(TrainingExample.class).decode(r.value());
        if (TrainerServiceConfig.heldOut(e.getExampleId(), config.holdoutPercent())) {
          heldOut.put(e.getExampleId(), judged(e));
          heldOutLlms.put(e.getExampleId(), List.copyOf(e.getLlmIds()));
        } else if (r.offset() >= state.consumed(r.partition())) waiting.get(r.partition()).put(r.offset(), e);
      }
    } catch (EventDecodingException e) {
      // The miner dead-letters bad records and writes only valid examples; skip, don't stop.
      LOG.warn("skipped undecodable record at " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
    }
  }

  private void runRound(TrainerState.Round round, Map<Integer, TreeMap<Long, TrainingExample>> waiting, KafkaProducer<String, byte[]> producer)
      throws Exception {
    List<TrainingExample> examples = new ArrayList<>();
    waiting.forEach((partition, byOffset) -> examples.addAll(byOffset.headMap(round.until().getOrDefault(partition, 0L)).values()));
    RoundKind kind = round.kind() == null ? RoundKind.FULL : round.kind();
    String name = ModelRegistry.name(round.version());
    String parentName = ModelRegistry.name(round.parentVersion());
    int index = models.indexVersion(round.parentVersion());
    Path parentDir = versionDir(round.parentVersion());
    Path candidateDir = registry.dir(round.version());
    TrainerConfig training = config.training();
    long start = System.nanoTime();
    LOG.info(String.format(Locale.ROOT, "%s round for %s: %d examples at offsets %s..%s, %d held out, from %s (index %s)",
        kind == RoundKind.FULL ? "full" : "query-side", name, examples.size(), round.from(), round.until(), heldOut.size(), parentName,
        ModelRegistry.name(index)));
    Map<String, String> embeddingTexts = new LinkedHashMap<>();
    Map<String, String> llmTexts = new HashMap<>();
    corpus.forEach((id, p) -> {
      embeddingTexts.put(id, p.embeddingText());
      llmTexts.put(id, p.text());
    });
    IndexSnapshot live = indexes.snapshot(ModelRegistry.name(index), embeddingTexts);
    TrainingCheckpoint checkpoint = new TrainingCheckpoint(stateDir.resolve("checkpoint-" + name));
    RetrieverTrainer.Result result;
    Device device = BertEncoder.defaultDevice();
    try (BertEncoder model = BertEncoder.load(name, parentDir, registry.spec(), training.maxPassageTokens(), device)) {
      // A query-side step encodes no passage: the GPU sizing is for a full round's.
      RetrieverTrainer trainer = new RetrieverTrainer(kind == RoundKind.FULL ? TrainingMemory.sized(training, model) : training, config.tasks());
      if (kind == RoundKind.QUERY_SIDE) {
        result = trainer.trainQuerySide(model, examples, live, checkpoint, stepListener,
            Progress.every("training " + name + " (query side, " + training.queryTuning() + ")", trainer.plannedSteps(examples, live), 10_000));
      } else {
        result = trainer.train(model, examples, checkpoint, stepListener, Progress.every("training " + name + " (full)", trainer.plannedSteps(examples), 10_000));
      }
      model.save(parentDir, candidateDir);
    }
    NativeHeap.releaseGpuCache(device);
    NativeHeap.trim().ifPresent(t -> LOG.info(String.format(Locale.ROOT, "%s trained; freed native memory returned to the OS: RSS %d -> %d MB",
        name, t.beforeMb(), t.afterMb())));
    if (kind == RoundKind.QUERY_SIDE) ModelRegistry.recordIndex(candidateDir, index);
    double trainSeconds = (System.nanoTime() - start) / 1e9;
    IndexSnapshot candidateIndex = kind == RoundKind.QUERY_SIDE
        ? live
        : evaluator.embedIndex(name, candidateDir, live.ids(), live.ids().stream().map(embeddingTexts::get).toList());
    CandidateEvaluator.Comparison compared = evaluator.compare(new CandidateEvaluator.Side(parentName, parentDir, live),
        new CandidateEvaluator.Side(name, candidateDir, candidateIndex), embeddingTexts, llmTexts, new ArrayList<>(heldOut.values()),
        config.reference(), q -> judge.llmId() != null && heldOutLlms.getOrDefault(q.queryId(), List.of()).equals(List.of(judge.llmId())));
    PromotionPolicy.Verdict verdict = config.promotion().decide(compared.serving(), compared.candidate());
    String reason = verdict.reason() + "; " + compared.spent();
    Map<String, Double> metrics = new LinkedHashMap<>(compared.candidate());
    compared.serving().forEach((k, v) -> metrics.put("serving." + k, v));
    metrics.put("first_loss", result.firstLoss());
    metrics.put("last_loss", result.lastLoss());
    metrics.put("train_seconds", trainSeconds);
    metrics.put("round_seconds", (System.nanoTime() - start) / 1e9);
    metrics.put("llm_scores_asked", (double) compared.spent().asked());
    LOG.info(String.format(Locale.ROOT, "%s %s -> %s", name, reason, verdict.promote() ? "PROMOTED" : "REJECTED"));
    List<OffsetRange> lineage = new ArrayList<>();
    round.until().forEach((partition, until) -> {
      long from = round.from().getOrDefault(partition, 0L);
      if (until > from) lineage.add(new OffsetRange(config.topics().trainingExamples().name(), partition, from, until));
    });
    ModelVersion decision = ModelVersion.newBuilder()
        .setKind(ModelKind.RETRIEVER)
        .setVersion(round.version())
        .setName(name)
        .setArtifactUri(registry.publish(name, candidateDir))
        .setParentVersion(round.parentVersion())
        .setCreatedAtMs(System.currentTimeMillis())
        .setStatus(verdict.promote() ? ModelStatus.PROMOTED : ModelStatus.REJECTED)
        .setMetrics(metrics)
        .setTrainingExamples(result.examples())
        .setTrainingSteps(result.steps())
        .setLineage(lineage)
        .setReason(reason)
        .setIndexVersion(kind == RoundKind.QUERY_SIDE ? index : null)
        .build();
    // A promoted full round's index is the one just embedded: the next round trains against it as is.
    if (kind == RoundKind.FULL && verdict.promote()) {
      indexes.put(name, candidateIndex.ids(), candidateIndex.ids().stream().map(embeddingTexts::get).toList(), candidateIndex.vectors());
    }
    producer.send(new ProducerRecord<>(config.topics().modelVersions().name(), decision.getKind().name(),
        AvroCodec.of(ModelVersion.class).encode(decision))).get();
    models.apply(decision);
    indexes.retain(List.of(ModelRegistry.name(models.indexVersion(models.servingVersion()))));
    finishRound(waiting);
    checkpoint.clear();
    rounds++;
    onDecision.accept(decision);
  }

  /** Records the round's range as consumed and forgets its examples. */
  private void finishRound(Map<Integer, TreeMap<Long, TrainingExample>> waiting) {
    Map<Integer, Long> until = state.round().until();
    waiting.forEach((partition, byOffset) -> byOffset.headMap(until.getOrDefault(partition, 0L)).clear());
    state = state.finish();
    state.save(stateDir);
  }

  /** A held-out example as evaluation judges it: by its human labels (not the LLM's picks, which came from the serving model's pool) and its teacher scores. */
  private static RetrievalMetrics.Judged judged(TrainingExample e) {
    Map<String, Double> teacher = new LinkedHashMap<>();
    for (TrainingPassage c : e.getCandidates()) if (c.getTeacherScore() != null) teacher.put(c.getPassageId(), c.getTeacherScore());
    return new RetrievalMetrics.Judged(e.getExampleId(), e.getTask(), e.getQuery(), new LinkedHashSet<>(e.getHumanLabels()), e.getAnswers(), teacher);
  }

  private static int count(Map<Integer, TreeMap<Long, TrainingExample>> waiting) {
    return waiting.values().stream().mapToInt(Map::size).sum();
  }

  private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> ends) {
    return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, List<TopicPartition> partitions, Map<Integer, Long> until) {
    return partitions.stream().allMatch(tp -> consumer.position(tp) >= until.getOrDefault(tp.partition(), 0L));
  }
}

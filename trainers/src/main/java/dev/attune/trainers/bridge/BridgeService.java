package dev.attune.trainers.bridge;

import dev.attune.models.bridge.Bridge;
import dev.attune.models.bridge.BridgeExample;
import dev.attune.models.bridge.CandidateEmbeddings;

import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.Logger;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.OffsetRange;
import dev.attune.schemas.SilverSequence;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.schemas.KafkaAccess;
import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.trainers.train.PromotionPolicy;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerServiceConfig;
import dev.attune.trainers.train.TrainerState;
import dev.attune.trainers.train.TrainingCheckpoint;
import ai.djl.Device;
import dev.attune.models.encoder.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.util.function.Function;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One bridge training round, by the retriever trainer's rules: it reads the silver-sequences topic and
 * the model log to their current end, fixes the new sequences' offset range as the round (in {@link
 * TrainerState}, under {@code <models>/bridge-state}), trains the serving bridge (or a fresh one) on
 * exactly that range with checkpoints, judges the candidate against the serving bridge on held-out
 * sequences, and publishes a BRIDGE {@link ModelVersion} with the decision, the comparison table and
 * the lineage. A killed round resumes from its checkpoint when run again. Version 0 is "no bridge":
 * the retriever's top-k as is.
 *
 * <p>A bridge reads the embeddings of the retriever it was first trained on, recorded in its files;
 * its descendants keep that encoder, so their weights stay meaningful.
 */
public final class BridgeService {
  /** The silver sequences and the model log are read to their end before a round; a broker that cannot serve that is an error. */
  private static final Duration READ_TIMEOUT = Duration.ofMinutes(5);
  private static final Logger LOG = LoggerFactory.getLogger(BridgeService.class);
  private final BridgeServiceConfig config;
  private final ModelRegistry registry;
  private final SequenceReward reward;
  private final RetrieverTrainer.StepListener stepListener;

  /** A round's decision and the table it was taken on (row → metrics). */
  public record Outcome(ModelVersion decision, Map<String, Map<String, Double>> table) {}

  private record Read(int partition, long offset, BridgeExample example) {}

  public BridgeService(BridgeServiceConfig config, ModelRegistry registry, SequenceReward reward, RetrieverTrainer.StepListener stepListener) {
    this.config = config;
    this.registry = registry;
    this.reward = reward;
    this.stepListener = stepListener;
  }

  /** Runs a round if there is one to run (an unfinished one, or enough new sequences); empty otherwise. */
  public Optional<Outcome> runRound() throws Exception {
    Path stateDir = registry.bridgeStateDir();
    TrainerState state = TrainerState.load(stateDir);
    ModelLog bridges = new ModelLog(ModelKind.BRIDGE);
    ModelLog retrievers = new ModelLog(ModelKind.RETRIEVER);
    List<BridgeExample> heldOut = new ArrayList<>();
    List<Read> fresh = new ArrayList<>();
    String bootstrap = config.kafka().bootstrapServers();
    String silverTopic = config.topics().silverSequences().name();
    List<TopicPartition> silverPartitions;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config.kafka().consumer("bridge-trainer"), new StringDeserializer(), new ByteArrayDeserializer())) {
      silverPartitions = KafkaAccess.partitions(consumer, silverTopic, bootstrap);
      List<TopicPartition> all = new ArrayList<>(silverPartitions);
      all.addAll(KafkaAccess.partitions(consumer, config.topics().modelVersions().name(), bootstrap));
      consumer.assign(all);
      consumer.seekToBeginning(all);
      TrainerState started = state;
      Map<TopicPartition, Long> ends = KafkaAccess.readToEnd(consumer, all, READ_TIMEOUT, r -> {
        try {
          if (!r.topic().equals(silverTopic)) {
            ModelVersion v = AvroCodec.of(ModelVersion.class).decode(r.value());
            bridges.apply(v);
            retrievers.apply(v);
            return;
          }
          BridgeExample e = config.bridge().example(AvroCodec.of(SilverSequence.class).decode(r.value()));
          if (!BridgeTrainer.usable(e)) return;
          if (TrainerServiceConfig.heldOut(e.id(), config.holdoutPercent())) heldOut.add(e);
          else if (r.offset() >= started.consumed(r.partition())) fresh.add(new Read(r.partition(), r.offset(), e));
        } catch (EventDecodingException e) {
          // The miner dead-letters bad input; a record that still fails to decode is skipped, not fatal.
          LOG.warn("skipped undecodable record at " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
        }
      });
      TrainerState.Round round = state.round();
      if (round != null && bridges.versions().containsKey(round.version())) {
        // Killed after publishing but before recording: the round is done.
        state.finish().save(stateDir);
        return Optional.empty();
      }
      if (round == null) {
        if (fresh.size() < config.minExamples() || heldOut.isEmpty()) {
          LOG.info(String.format(Locale.ROOT, "%d new silver sequences (%d needed) and %d held out; no round",
              fresh.size(), config.minExamples(), heldOut.size()));
          return Optional.empty();
        }
        Map<Integer, Long> from = new TreeMap<>();
        Map<Integer, Long> until = new TreeMap<>();
        for (TopicPartition tp : silverPartitions) {
          from.put(tp.partition(), state.consumed(tp.partition()));
          until.put(tp.partition(), Math.max(state.consumed(tp.partition()), ends.get(tp)));
        }
        round = new TrainerState.Round(registry.nextVersion(ModelRegistry.BRIDGE), bridges.servingVersion(), null, from, until);
        state = state.start(round);
        state.save(stateDir);
      }
      TrainerState.Round fixed = round;
      List<BridgeExample> examples = fresh.stream().filter(r -> r.offset() < fixed.until().getOrDefault(r.partition(), 0L)).map(Read::example).toList();
      Outcome outcome = train(fixed, examples, heldOut, bridges, retrievers);
      state.finish().save(stateDir);
      return Optional.of(outcome);
    }
  }

  private Outcome train(TrainerState.Round round, List<BridgeExample> examples, List<BridgeExample> heldOut, ModelLog bridges, ModelLog retrievers)
      throws Exception {
    String name = ModelRegistry.name(ModelKind.BRIDGE, round.version());
    String parentName = ModelRegistry.name(ModelKind.BRIDGE, round.parentVersion());
    Path dir = registry.bridgeDir(round.version());
    Path parentDir = round.parentVersion() == 0 ? null : artifact(bridges, round.parentVersion());
    BridgeConfig settings = config.bridge();
    Device device = BertEncoder.defaultDevice();
    TrainingCheckpoint checkpoint = new TrainingCheckpoint(registry.bridgeStateDir().resolve("checkpoint-" + name));
    String encoderName;
    try (PointerDecoder parent = parentDir == null ? null : PointerDecoder.load(parentDir, device)) {
      encoderName = parent == null ? ModelRegistry.name(retrievers.servingVersion()) : parent.layout().encoder();
    }
    // A fine-tuned lineage carries its encoder along: start from the parent's, else the retriever's.
    Path encoderDir = parentDir != null && Files.isDirectory(parentDir.resolve(Bridge.ENCODER_DIR))
        ? parentDir.resolve(Bridge.ENCODER_DIR) : retrieverDir(retrievers, encoderName);
    LOG.info(String.format(Locale.ROOT, "round for %s: %d silver sequences at offsets %s..%s, %d held out, from %s, reading %s embeddings (%s)",
        name, examples.size(), round.from(), round.until(), heldOut.size(), parentName, encoderName,
        settings.encoderLearningRate() > 0 ? "fine-tuned" : "frozen"));
    Map<String, String> instructions = config.tasks().instructions();
    try (Encoder encoder = new OnnxEncoder(encoderName, retrieverDir(retrievers, encoderName), registry.spec(), settings.maxPassageTokens());
        CandidateEmbeddings embeddings = new CandidateEmbeddings(encoder, instructions, settings.maxQueryTokens(), settings.maxPassageTokens(), 200_000);
        Bridge serving = parentDir == null ? null : Bridge.open(parentName, parentDir, registry.spec(), frozen(embeddings), instructions,
            settings.maxQueryTokens(), settings.maxPassageTokens());
        BridgeModel candidate = candidate(parentDir, encoderDir, encoder.dimension(), encoderName, device)) {
      Map<String, Bridge> others = new LinkedHashMap<>();
      if (serving != null) others.put(parentName + " (serving)", serving);
      Comparison comparison = trainAndCompare(settings, name, candidate, examples, heldOut, embeddings, reward, dir, checkpoint, stepListener,
          config.topK(), others, registry.spec(), instructions);
      BridgeTrainer.Result result = comparison.result();
      Map<String, Map<String, Double>> table = comparison.table();
      Map<String, Double> candidateMetrics = table.get(name + REINFORCED);
      Map<String, Double> servingMetrics = table.get(parentDir == null ? "retriever top-" + config.topK() : parentName + " (serving)");
      PromotionPolicy.Verdict verdict = config.promotion().decide(prefixed("heldout.", servingMetrics), prefixed("heldout.", candidateMetrics));
      Map<String, Double> metrics = new LinkedHashMap<>(prefixed("heldout.", candidateMetrics));
      metrics.putAll(prefixed("serving.heldout.", servingMetrics));
      metrics.putAll(prefixed("supervised.heldout.", table.get(name + SUPERVISED)));
      metrics.putAll(prefixed("silver.heldout.", table.get("silver")));
      metrics.put("first_loss", result.firstLoss());
      metrics.put("last_loss", result.lastLoss());
      metrics.put("first_reward", result.firstReward());
      metrics.put("last_reward", result.lastReward());
      String reason = verdict.reason().replace("serving", round.parentVersion() == 0 ? "retriever top-" + config.topK() : parentName)
          + "; reward " + reward.name();
      LOG.info(String.format(Locale.ROOT, "%s %s -> %s", name, reason, verdict.promote() ? "PROMOTED" : "REJECTED"));
      List<OffsetRange> lineage = new ArrayList<>();
      round.until().forEach((partition, until) -> {
        long from = round.from().getOrDefault(partition, 0L);
        if (until > from) lineage.add(new OffsetRange(config.topics().silverSequences().name(), partition, from, until));
      });
      ModelVersion decision = ModelVersion.newBuilder()
          .setKind(ModelKind.BRIDGE).setVersion(round.version()).setName(name).setArtifactUri(registry.publish(name, dir))
          .setParentVersion(round.parentVersion()).setCreatedAtMs(System.currentTimeMillis())
          .setStatus(verdict.promote() ? ModelStatus.PROMOTED : ModelStatus.REJECTED)
          .setMetrics(metrics).setTrainingExamples(result.examples()).setTrainingSteps(result.supervisedSteps() + result.reinforceSteps())
          .setLineage(lineage).setReason(reason).build();
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config.kafka().producer("bridge-trainer"),
          new StringSerializer(), new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(config.topics().modelVersions().name(), decision.getKind().name(),
            AvroCodec.of(ModelVersion.class).encode(decision))).get();
      }
      checkpoint.clear();
      return new Outcome(decision, table);
    }
  }

  /** The model to train: the parent's decoder (or a fresh one), with a trainable encoder when configured. */
  private BridgeModel candidate(Path parentDir, Path encoderDir, int dimension, String encoderName, Device device) throws IOException {
    BridgeConfig settings = config.bridge();
    PointerDecoder decoder = parentDir != null ? PointerDecoder.load(parentDir, device) : PointerDecoder.create(dimension, settings, encoderName, device);
    if (settings.encoderLearningRate() == 0) return BridgeModel.frozen(decoder);
    try {
      BertEncoder encoder = BertEncoder.load(encoderName, encoderDir, registry.spec(), settings.maxPassageTokens(), device);
      return BridgeModel.fineTuned(decoder, encoder, encoderDir, config.tasks().instructions());
    } catch (IOException | RuntimeException e) {
      decoder.close();
      throw e;
    }
  }

  /** The shared frozen embeddings (closing them leaves the encoder open), for bridges that read the same retriever. */
  private static Function<String, CandidateEmbeddings> frozen(CandidateEmbeddings embeddings) {
    return name -> {
      if (!name.equals(embeddings.encoderVersion())) {
        throw new IllegalStateException("a bridge reads " + name + " embeddings, but this round reads " + embeddings.encoderVersion());
      }
      return embeddings;
    };
  }

  /** A trained candidate's run and the comparison table it was judged on. */
  public record Comparison(BridgeTrainer.Result result, Map<String, Map<String, Double>> table) {}

  /** Table rows of a candidate after each stage: {@code <name> supervised}, {@code <name> supervised+RL}. */
  public static final String SUPERVISED = " supervised";
  public static final String REINFORCED = " supervised+RL";

  /**
   * Trains {@code candidate} in both stages (saved to {@code dir}, its supervised snapshot to {@code
   * dir/supervised}) and compares it on {@code heldOut} with the retriever's top 1 and top k, the
   * silver sequences and {@code others} (which stay open). Used by a round and by the offline {@code
   * eval-bridge}.
   */
  public static Comparison trainAndCompare(BridgeConfig settings, String name, BridgeModel candidate, List<BridgeExample> examples,
      List<BridgeExample> heldOut, CandidateEmbeddings embeddings, SequenceReward reward, Path dir, TrainingCheckpoint checkpoint,
      RetrieverTrainer.StepListener listener, int topK, Map<String, Bridge> others, ModelSpec spec, Map<String, String> instructions)
      throws Exception {
    Path supervisedDir = dir.resolve("supervised");
    embeddings.prepare(heldOut);
    BridgeTrainer.Result result = new BridgeTrainer(settings).train(candidate, examples, embeddings, reward, checkpoint, supervisedDir, listener);
    candidate.save(dir);
    try (Bridge supervised = Bridge.open(name, supervisedDir, spec, frozen(embeddings), instructions, settings.maxQueryTokens(), settings.maxPassageTokens());
        Bridge reinforced = Bridge.open(name, dir, spec, frozen(embeddings), instructions, settings.maxQueryTokens(), settings.maxPassageTokens())) {
      Map<String, Bridge> compared = new LinkedHashMap<>(others);
      compared.put(name + SUPERVISED, supervised);
      compared.put(name + REINFORCED, reinforced);
      return new Comparison(result, BridgeEvaluation.table(heldOut, reward, topK, compared));
    }
  }

  private static Map<String, Double> prefixed(String prefix, Map<String, Double> metrics) {
    Map<String, Double> out = new LinkedHashMap<>();
    metrics.forEach((k, v) -> out.put(prefix + k, v));
    return out;
  }

  private Path artifact(ModelLog log, int version) {
    ModelVersion v = log.versions().get(version);
    if (v == null) throw new IllegalStateException("the model log has no version " + version);
    return registry.fetch(v.getArtifactUri());
  }

  /** A retriever's model directory: the unpacked base, or where its ModelVersion says. */
  private Path retrieverDir(ModelLog retrievers, String name) {
    int version = Integer.parseInt(name.substring(ModelRegistry.RETRIEVER.length()));
    return version == 0 ? registry.dir(0) : artifact(retrievers, version);
  }
}

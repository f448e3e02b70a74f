package dev.attune.trainers.train;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.EventDecodingException;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.TrainingExample;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.eval.RetrieverEvaluator;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.trainers.model.OnnxEncoder;
import dev.attune.trainers.model.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Consumes training examples and the corpus; every {@code triggerExamples} new examples it fine-tunes
 * the serving retriever, evaluates the candidate against it on held-out traffic, and publishes a
 * {@link ModelVersion}: PROMOTED when it does not regress, REJECTED otherwise. Run alone with {@code
 * attune train}.
 */
public final class TrainerService implements Runnable {
  private final TrainerServiceConfig config;
  private final ModelRegistry registry;
  private final Consumer<ModelVersion> onDecision;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, String> corpus = new LinkedHashMap<>();
  private final List<TrainingExample> train = new ArrayList<>();
  private final List<TrainingExample> holdout = new ArrayList<>();
  private final Map<Integer, Map<String, Double>> servingMetricsCache = new HashMap<>();
  private int servingVersion = 0;
  private int newSinceLastRound = 0;
  private int rounds = 0;

  public TrainerService(TrainerServiceConfig config, ModelRegistry registry, Consumer<ModelVersion> onDecision) {
    this.config = config;
    this.registry = registry;
    this.onDecision = onDecision;
  }

  public void stop() {
    running.set(false);
  }

  @Override
  public void run() {
    Properties props = new Properties();
    props.put("bootstrap.servers", config.bootstrapServers());
    props.put("group.id", "attune-trainer");
    props.put("isolation.level", "read_committed");
    props.put("auto.offset.reset", "earliest");
    props.put("enable.auto.commit", "false");
    Properties producerProps = new Properties();
    producerProps.put("bootstrap.servers", config.bootstrapServers());
    producerProps.put("enable.idempotence", "true");
    AvroCodec<TrainingExample> examples = AvroCodec.of(TrainingExample.class);
    AvroCodec<PassageEvent> passages = AvroCodec.of(PassageEvent.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      consumer.subscribe(List.of(config.topics().trainingExamples().name(), config.topics().corpus().name()));
      while (running.get() && (config.maxRounds() == 0 || rounds < config.maxRounds())) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          try {
            if (r.topic().equals(config.topics().corpus().name())) {
              PassageEvent p = passages.decode(r.value());
              if (p.getOp() == PassageOp.DELETE) corpus.remove(p.getPassageId());
              else corpus.put(p.getPassageId(), p.getTitle() == null ? p.getText() : p.getTitle() + ". " + p.getText());
            } else {
              TrainingExample e = examples.decode(r.value());
              if (TrainerServiceConfig.heldOut(e.getExampleId(), config.holdoutPercent())) holdout.add(e);
              else {
                train.add(e);
                newSinceLastRound++;
              }
            }
          } catch (EventDecodingException e) {
            // The miner dead-letters bad corpus records and writes only valid examples; skip, don't stop.
            System.err.println("trainer: skipped undecodable record at " + r.topic() + "@" + r.offset() + ": " + e.getMessage());
          }
        }
        consumer.commitSync();
        if (newSinceLastRound >= config.triggerExamples() && !holdout.isEmpty()) {
          ModelVersion decision = round();
          producer.send(new ProducerRecord<>(config.topics().modelVersions().name(), decision.getKind().name(),
              AvroCodec.of(ModelVersion.class).encode(decision))).get();
          onDecision.accept(decision);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("trainer failed: " + e.getMessage(), e);
    }
  }

  private ModelVersion round() throws Exception {
    rounds++;
    newSinceLastRound = 0;
    int version = registry.nextVersion();
    Path parentDir = registry.dir(servingVersion);
    Path candidateDir = registry.dir(version);
    TrainerConfig training = config.training();
    System.out.printf("trainer: round %d, training %s on %d examples (held out %d) from %s%n",
        rounds, ModelRegistry.name(version), train.size(), holdout.size(), ModelRegistry.name(servingVersion));
    RetrieverTrainer.Result result;
    try (BertEncoder model = BertEncoder.load(ModelRegistry.name(version), parentDir, registry.spec(), training.maxPassageTokens(), BertEncoder.defaultDevice())) {
      Progress progress = Progress.every("training", Math.min(training.maxSteps(), train.size() / training.batchQueries() * training.epochs()), 10_000);
      result = new RetrieverTrainer(training).train(model, train, progress);
      model.save(parentDir, candidateDir);
    }
    List<RetrievalMetrics.Judged> judged = holdout.stream()
        .map(e -> new RetrievalMetrics.Judged(e.getExampleId(), e.getQuery(), new LinkedHashSet<>(e.getPositives()), List.<String>of()))
        .toList();
    RetrieverEvaluator evaluator = new RetrieverEvaluator(new ArrayList<>(corpus.keySet()), new ArrayList<>(corpus.values()),
        training.maxQueryTokens(), training.maxPassageTokens());
    Map<String, Double> serving = servingMetricsCache.computeIfAbsent(servingVersion * 1_000_003 + corpus.size() * 31 + holdout.size(),
        k -> evaluate(evaluator, servingVersion, parentDir, judged));
    Map<String, Double> candidate = evaluate(evaluator, version, candidateDir, judged);
    boolean promote = candidate.get(RetrievalMetrics.NDCG_10) >= serving.get(RetrievalMetrics.NDCG_10) + config.promotionMargin()
        && candidate.get(RetrievalMetrics.RECALL_5) >= serving.get(RetrievalMetrics.RECALL_5) + config.promotionMargin();
    Map<String, Double> metrics = new LinkedHashMap<>(candidate);
    serving.forEach((k, v) -> metrics.put("serving." + k, v));
    metrics.put("first_loss", result.firstLoss());
    metrics.put("last_loss", result.lastLoss());
    System.out.printf("trainer: %s nDCG@10 %.4f vs serving %.4f -> %s%n", ModelRegistry.name(version),
        candidate.get(RetrievalMetrics.NDCG_10), serving.get(RetrievalMetrics.NDCG_10), promote ? "PROMOTED" : "REJECTED");
    ModelVersion decision = ModelVersion.newBuilder()
        .setKind(ModelKind.RETRIEVER)
        .setVersion(version)
        .setName(ModelRegistry.name(version))
        .setArtifactUri(candidateDir.toUri().toString())
        .setParentVersion(servingVersion)
        .setCreatedAtMs(System.currentTimeMillis())
        .setStatus(promote ? ModelStatus.PROMOTED : ModelStatus.REJECTED)
        .setMetrics(metrics)
        .setTrainingExamples(result.examples())
        .setTrainingSteps(result.steps())
        .build();
    if (promote) servingVersion = version;
    return decision;
  }

  private Map<String, Double> evaluate(RetrieverEvaluator evaluator, int version, Path dir, List<RetrievalMetrics.Judged> judged) {
    try (OnnxEncoder encoder = new OnnxEncoder(ModelRegistry.name(version), dir, registry.spec(), config.training().maxPassageTokens())) {
      float[][] vectors = evaluator.embedCorpus(encoder, Progress.every("eval " + ModelRegistry.name(version), corpus.size(), 15_000));
      return evaluator.evaluate(encoder, vectors, judged, null);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

package dev.attune.infra.cli;

import dev.attune.infra.data.BeirDataset;
import dev.attune.schemas.Topics;
import dev.attune.serving.ServingIndexes;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.Truncation;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.RetrieverPromotion;
import dev.attune.trainers.train.TrainerConfig;
import dev.attune.infra.metrics.MetricsEndpoint;
import dev.attune.infra.metrics.TrainerMetrics;
import dev.attune.trainers.train.TrainerService;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune train}: the trainer service against an external Kafka, resuming from its state. */
@Command(name = "train", description = "Run the trainer service against an external Kafka; it resumes from its state in --models-dir.")
final class TrainCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @CommandLine.Mixin ModelsDirOption modelsDir;
  @CommandLine.Mixin BaseModelOption baseModel;
  @Option(names = "--trigger", defaultValue = "400", description = "Train every N new examples (default: ${DEFAULT-VALUE}).") int trigger;
  @CommandLine.Mixin TrainingOptions training;
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
  @Option(names = "--metrics-port", description = "Serve the trainer's metrics for Prometheus on this port at /metrics (default: none).") Integer metricsPort;

  @Override
  public Integer call() throws Exception {
    TrainerConfig settings = training.over(TrainerConfig.defaults());
    Tasks tasks = tasksFile == null ? Tasks.defaults() : Tasks.load(tasksFile);
    var referenceSet = reference == null ? java.util.List.<RetrievalMetrics.Judged>of() : BeirDataset.fromDirectoryOrBundled(reference).queries();
    if (storeOptions.store.equals("qdrant-local")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--store qdrant-local would start an empty Qdrant; give the Qdrant serving uses with --store qdrant");
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    TrainerMetrics metrics = new TrainerMetrics(registry);
    MetricsEndpoint endpoint = metricsPort == null ? null : MetricsEndpoint.start(registry, "0.0.0.0", metricsPort);
    if (endpoint != null) System.out.println("trainer metrics on :" + endpoint.port() + "/metrics");
    // Serving's Lucene store lives inside its process: without a reachable Qdrant the trainer embeds each index once itself.
    try (StoreChoice store = storeOptions.open(modelsDir.path.resolve("qdrant"));
        var servingStore = store.qdrant() == null ? null : new QdrantVectorStore(store.qdrant());
        LlmScorer scorer = llm.open(BeirDataset.fromDirectoryOrBundled(corpus).corpus().passages().stream().map(p -> p.text()).toList())) {
      TrainerService trainer = new TrainerService(
          new TrainerServiceConfig(kafka.settings(), Topics.defaults(), trigger, 10, new RetrieverPromotion(margin, tolerance, minHeldOut), 0, settings,
              tasks, referenceSet, rounds.schedule(), Truncation.SERVING, llmBudget),
          modelsDir.registry(baseModel.spec()), servingStore == null ? null : new ServingIndexes(servingStore), scorer,
          metrics, metrics);
      trainer.run();
    } finally {
      if (endpoint != null) endpoint.close();
    }
    return 0;
  }
}

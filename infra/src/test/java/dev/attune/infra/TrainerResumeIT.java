package dev.attune.infra;

import dev.attune.schemas.KafkaSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.infra.bench.BenchExamples;
import dev.attune.infra.data.BeirDataset;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.OffsetRange;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.trainers.train.RetrieverPromotion;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import dev.attune.trainers.train.TrainerService;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer killed in the middle of a round, on the real broker and real bge-small weights, resumes
 * from its last checkpoint: the finished model saw every example of the round exactly once, the
 * decision's lineage names the round's offsets, and the next round trains only newer examples.
 */
class TrainerResumeIT {
  /** Fault injection: the real trainer cannot be made to die at a chosen batch any other way. */
  static final class InjectedKill extends RuntimeException {
    InjectedKill(int batch) {
      super("injected kill at batch " + batch);
    }
  }

  @TempDir Path work;

  @Test
  void resume_a_killed_round_without_repeating_or_skipping_examples() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
      Topics topics = Topics.defaults();
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 2, (short) 1);
      BeirDataset data = BeirDataset.bundled().firstArticles(1);
      List<TrainingExample> all = BenchExamples.examples(data, 48, 1);
      Fixtures.publishCorpus(kafka.bootstrapServers(), topics, data.corpus());
      Fixtures.publishExamples(kafka.bootstrapServers(), topics, all.subList(0, 32));
      ModelRegistry registry = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);

      // Given a round that dies at batch 3, after the checkpoint taken at the end of batch 1
      Map<Integer, List<String>> firstRun = new TreeMap<>();
      TrainerService doomed = trainer(kafka.bootstrapServers(), registry, 1, (batch, ids, loss) -> {
        if (batch == 3) throw new InjectedKill(batch);
        firstRun.put(batch, ids);
      });
      assertThatThrownBy(doomed::run).hasRootCauseInstanceOf(InjectedKill.class);
      assertThat(Files.exists(registry.stateDir().resolve("checkpoint-retriever-v1/LATEST"))).isTrue();

      // When a new trainer starts on the same state
      Map<Integer, List<String>> secondRun = new TreeMap<>();
      List<ModelVersion> decisions = new ArrayList<>();
      trainer(kafka.bootstrapServers(), registry, 1, (batch, ids, loss) -> secondRun.put(batch, ids), decisions).run();

      // Then it continues at batch 2, and the model saw each non-held-out example of the round once
      assertThat(secondRun.keySet().iterator().next()).isEqualTo(2);
      List<String> trained = new ArrayList<>();
      firstRun.entrySet().stream().filter(e -> e.getKey() < 2).forEach(e -> trained.addAll(e.getValue()));
      secondRun.values().forEach(trained::addAll);
      List<String> expected = trainable(all.subList(0, 32));
      assertThat(trained).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
      ModelVersion first = decisions.get(0);
      assertThat(first.getStatus()).isEqualTo(ModelStatus.PROMOTED);
      assertThat(first.getTrainingExamples()).isEqualTo(expected.size());
      assertThat(first.getLineage().stream().mapToLong(r -> r.getUntilOffset() - r.getFromOffset()).sum()).isEqualTo(32);
      assertThat(first.getLineage()).allSatisfy(r -> assertThat(r.getFromOffset()).isZero());

      // And a later round, from a fresh process, trains on the newer examples only, from the promoted model
      Fixtures.publishExamples(kafka.bootstrapServers(), topics, all.subList(32, 48));
      Map<Integer, List<String>> thirdRun = new ConcurrentHashMap<>();
      List<ModelVersion> later = new ArrayList<>();
      trainer(kafka.bootstrapServers(), registry, 1, (batch, ids, loss) -> thirdRun.put(batch, ids), later).run();
      List<String> newer = new ArrayList<>();
      thirdRun.values().forEach(newer::addAll);
      assertThat(newer).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(trainable(all.subList(32, 48)));
      ModelVersion second = later.get(0);
      assertThat(second.getParentVersion()).isEqualTo(1);
      Map<Integer, OffsetRange> byPartition = new TreeMap<>();
      first.getLineage().forEach(r -> byPartition.put(r.getPartition(), r));
      assertThat(second.getLineage()).allSatisfy(r -> assertThat(r.getFromOffset()).isEqualTo(byPartition.get(r.getPartition()).getUntilOffset()));
    }
  }

  private static TrainerService trainer(String bootstrap, ModelRegistry registry, int rounds, RetrieverTrainer.StepListener listener) {
    return trainer(bootstrap, registry, rounds, listener, new ArrayList<>());
  }

  private static TrainerService trainer(String bootstrap, ModelRegistry registry, int rounds, RetrieverTrainer.StepListener listener,
      List<ModelVersion> decisions) {
    TrainerConfig training = TrainerConfig.defaults().withBatch(2, 1, 1).withLengths(24, 48).withMaxSteps(1).withSchedule(1, 2e-5f, 2);
    return new TrainerService(new TrainerServiceConfig(KafkaSettings.of(bootstrap), Topics.defaults(), 8, 20, new RetrieverPromotion(-1.0, 1.0, 0),
        rounds, training, Tasks.defaults(), List.of()), registry, null, null, decisions::add, listener);
  }

  private static List<String> trainable(List<TrainingExample> examples) {
    return examples.stream().map(TrainingExample::getExampleId).filter(id -> !TrainerServiceConfig.heldOut(id, 20)).toList();
  }
}

package dev.attune.infra;

import dev.attune.testkit.Traffic;
import dev.attune.streams.mining.rules.SilverSearchConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.attune.client.AttuneClient;
import dev.attune.infra.offline.OfflineSilver;
import dev.attune.infra.data.BeirDataset;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.infra.replay.ScorerReward;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.OffsetRange;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.trainers.bridge.BridgeConfig;
import dev.attune.trainers.bridge.BridgeService;
import dev.attune.trainers.bridge.BridgeServiceConfig;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.trainers.train.PromotionPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge end to end on a real broker, real bge-small embeddings and silver sequences searched on
 * the offline scorer: a round killed mid-way resumes from its checkpoint and publishes a BRIDGE
 * version with its comparison table and lineage, serving picks it up, answers {@code bridge: true} with both versions, and a bridge rollback
 * under traffic fails no request and mixes no versions.
 */
class BridgeIT {
  @TempDir Path work;

  @Test
  void train_decide_serve_and_swap_a_bridge() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
      Topics topics = Topics.defaults();
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
      BeirDataset data = BeirDataset.bundled().firstArticles(2);
      ModelRegistry registry = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
      UnigramLmScorer scorer = new UnigramLmScorer(data.corpus().passages().stream().map(Corpus.Passage::text).toList(), 2000);
      List<SilverSequence> silver;
      try (OnnxEncoder base = new OnnxEncoder("retriever-v0", registry.dir(0), ModelSpec.BGE_SMALL_EN_V15, 256)) {
        silver = OfflineSilver.of(data, data.queries().subList(0, 80), base, scorer, 10, SilverSearchConfig.defaults(), 48, 256);
      }
      Fixtures.publishCorpus(kafka.bootstrapServers(), topics, data.corpus());
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        silver.forEach(s -> publisher.publish(topics.silverSequences(), s.getRequestId(), s));
        publisher.flush();
      }

      BridgeServiceConfig config = new BridgeServiceConfig(kafka.settings(), topics, 10, 20,
          new PromotionPolicy("utility", -1e9, 1.0), 5, BridgeConfig.defaults().withEpochs(10, 5).withCheckpointEvery(10), Tasks.defaults());
      ScorerReward reward = new ScorerReward(scorer, SilverSearchConfig.defaults().distraction());
      // Injected fault: the real round cannot be made to die at a chosen batch otherwise.
      BridgeService killed = new BridgeService(config, registry, reward, (batch, ids, value) -> {
        if (batch == 25) throw new IllegalStateException("injected kill at batch 25");
      });
      assertThatThrownBy(killed::runRound).hasMessageContaining("injected kill");
      List<Integer> resumedBatches = new java.util.ArrayList<>();
      BridgeService trainer = new BridgeService(config, registry, reward, (batch, ids, value) -> resumedBatches.add(batch));
      BridgeService.Outcome outcome = trainer.runRound().orElseThrow();

      assertThat(resumedBatches.get(0)).as("resumed at the checkpoint after batch 20").isEqualTo(20);

      ModelVersion decision = outcome.decision();
      assertThat(decision.getKind()).isEqualTo(ModelKind.BRIDGE);
      assertThat(decision.getName()).isEqualTo("bridge-v1");
      assertThat(decision.getStatus()).isEqualTo(ModelStatus.PROMOTED);
      assertThat(decision.getLineage()).containsExactly(new OffsetRange(topics.silverSequences().name(), 0, 0L, (long) silver.size()));
      assertThat(decision.getMetrics()).containsKeys("heldout.utility", "heldout.answer_recall", "heldout.length",
          "serving.heldout.utility", "supervised.heldout.utility", "silver.heldout.utility");
      assertThat(outcome.table()).containsOnlyKeys("retriever top-1", "retriever top-5", "silver", "bridge-v1 supervised", "bridge-v1 supervised+RL");
      assertThat(outcome.table().get("retriever top-5").get("length")).isEqualTo(5.0);
      assertThat(decision.getTrainingExamples()).isBetween(10L, (long) silver.size());
      assertThat(trainer.runRound()).as("no new silver sequences, no round").isEmpty();

      ServingNode.Config servingConfig = new ServingNode.Config(kafka.settings(), topics, work.resolve("serving"), new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), null, "127.0.0.1", 0, RetrievalApi.Config.open(), Tasks.defaults().instructions(), 48, 256);
      try (ServingNode node = ServingNode.start(servingConfig, new IndexManager.Listener() {})) {
        AttuneClient client = new AttuneClient(node.uri(), null, Duration.ofSeconds(30));
        String question = data.queries().get(0).text();
        AttuneClient.Retrieval plain = client.retrieve(AttuneClient.RetrieveRequest.of(question, 5));
        assertThat(plain.bridgeVersion()).isNull();
        assertThat(plain.sequence()).isNull();

        AttuneClient.Retrieval bridged = client.retrieve(AttuneClient.RetrieveRequest.of(question, 5).bridged());
        assertThat(bridged.modelVersion()).isEqualTo("retriever-v0");
        assertThat(bridged.bridgeVersion()).isEqualTo("bridge-v1");
        assertThat(bridged.passages()).hasSize(5);
        assertThat(bridged.sequence()).isNotEmpty().hasSizeLessThanOrEqualTo(8)
            .allSatisfy(p -> assertThat(p.rank()).isBetween(1, 10));

        List<String> v1Sequence = bridged.sequence().stream().map(AttuneClient.Passage::id).toList();
        Traffic traffic = new Traffic(() -> {
          AttuneClient.Retrieval r = client.retrieve(AttuneClient.RetrieveRequest.of(question, 5).bridged());
          List<String> sequence = r.sequence().stream().map(AttuneClient.Passage::id).toList();
          List<String> topK = r.passages().stream().map(AttuneClient.Passage::id).toList();
          // Version 0 serves the top k as is, v1 its own (deterministic) choice: a mix pairs a name with the other's sequence.
          List<String> expected = switch (r.bridgeVersion()) {
            case "bridge-v0" -> topK;
            case "bridge-v1" -> v1Sequence;
            default -> null;
          };
          return sequence.equals(expected) ? null : r.bridgeVersion() + " answered " + sequence;
        });
        traffic.awaitMore(3);
        ModelLog log = new ModelLog(ModelKind.BRIDGE);
        log.apply(decision);
        try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
          log.rollbackTo(0, "BridgeIT", System.currentTimeMillis()).forEach(v -> publisher.publish(topics.modelVersions(), v.getKind().name(), v));
          publisher.flush();
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> node.service().bridgeVersion().equals("bridge-v0"));
        traffic.awaitMore(3);
        traffic.close();

        assertThat(traffic.problems()).as("failed or mixed-version responses").isEmpty();
        AttuneClient.Retrieval none = client.retrieve(AttuneClient.RetrieveRequest.of(question, 5).bridged());
        assertThat(none.bridgeVersion()).isEqualTo("bridge-v0");
        assertThat(none.sequence()).isEqualTo(none.passages());
      }
    }
  }
}

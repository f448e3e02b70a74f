package dev.attune.infra;

import dev.attune.testkit.Traffic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.client.AttuneClient;
import dev.attune.infra.bench.BenchExamples;
import dev.attune.infra.data.BeirDataset;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingIndexes;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.Truncation;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.trainers.train.RetrieverPromotion;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.RoundKind;
import dev.attune.trainers.train.RoundSchedule;
import dev.attune.trainers.train.TrainerConfig;
import dev.attune.trainers.train.TrainerService;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A query-side round and then a full one, on the real broker, the real trainer and bge-small, and
 * serving on the real Lucene store, under continuous HTTP traffic. The query-side candidate is
 * trained against serving's own index (read from its store: nothing embedded), promoted, and
 * swapped in without one write to the store; every response names a (query encoder, index) pair the
 * model log allows; the full round after it builds, verifies and serves its own index.
 */
class QueryRoundIT {
  @TempDir Path work;

  @Test
  void swap_a_query_side_round_without_writing_the_index_then_re_embed_for_a_full_round() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
      Topics topics = Topics.defaults();
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
      BeirDataset data = BeirDataset.bundled().firstArticles(1);
      Fixtures.publishCorpus(kafka.bootstrapServers(), topics, data.corpus());
      List<IndexManager.Swap> swaps = new CopyOnWriteArrayList<>();
      ServingNode.Config servingConfig = new ServingNode.Config(kafka.settings(), topics, work.resolve("serving"), new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), null, "127.0.0.1", 0, RetrievalApi.Config.open(), Tasks.defaults().instructions(),
          Truncation.SERVING.queryTokens(), Truncation.SERVING.passageTokens());
      try (ServingNode node = ServingNode.start(servingConfig, new IndexManager.Listener() {
        @Override
        public void swapped(IndexManager.Swap swap) {
          swaps.add(swap);
        }
      })) {
        Path indexes = work.resolve("serving").resolve("indexes");
        Map<String, String> untouched = Fixtures.listing(indexes);

        // Traffic throughout: every answer must pair a query encoder with the index it was trained against.
        AttuneClient client = new AttuneClient(node.uri(), null, Duration.ofSeconds(30));
        Set<String> allowed = Set.of("retriever-v0/retriever-v0", "retriever-v1/retriever-v0", "retriever-v2/retriever-v2");
        Traffic traffic = new Traffic(() -> {
          AttuneClient.Retrieval r = client.retrieve(AttuneClient.RetrieveRequest.of("Which team won Super Bowl 50?", 5));
          String pair = r.modelVersion() + "/" + r.indexVersion();
          return allowed.contains(pair) ? null : "unpaired: " + pair;
        });

        List<TrainingExample> examples = BenchExamples.examples(data, 48, 1);
        Fixtures.publishExamples(kafka.bootstrapServers(), topics, examples.subList(0, 24));
        List<ModelVersion> decisions = new CopyOnWriteArrayList<>();
        TrainerConfig training = TrainerConfig.defaults().withBatch(4, 1, 1).withLengths(32, 64).withMaxSteps(2).withSchedule(1, 2e-5f, 0);
        TrainerServiceConfig config = new TrainerServiceConfig(kafka.settings(), topics, 8, 20, new RetrieverPromotion(-1.0, 1.0, 0), 2,
            training, Tasks.defaults(), List.of(), new RoundSchedule(RoundKind.QUERY_SIDE, 1, 0), Truncation.SERVING, 1000);
        UnigramLmScorer llm = new UnigramLmScorer(data.corpus().passages().stream().map(Corpus.Passage::text).toList(), 2000);
        TrainerService trainer = new TrainerService(config, new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15),
            new ServingIndexes(node.store()), llm, decisions::add, RetrieverTrainer.StepListener.NONE);
        Thread trainerThread = new Thread(trainer, "trainer");
        trainerThread.start();

        // The query-side round: promoted, paired with the base's index, swapped in with nothing written.
        await().atMost(Duration.ofMinutes(4)).until(() -> node.indexes().current().modelVersion().equals("retriever-v1"));
        ModelVersion querySide = decisions.get(0);
        assertThat(querySide.getStatus()).isEqualTo(ModelStatus.PROMOTED);
        assertThat(querySide.getIndexVersion()).isZero();
        assertThat(querySide.getMetrics()).containsKeys("heldout.llm_utility@5", "serving.heldout.llm_utility@5");
        IndexManager.Swap encoderOnly = swaps.get(swaps.size() - 1);
        assertThat(encoderOnly.kind()).isEqualTo(IndexManager.SwapKind.QUERY_ENCODER);
        assertThat(encoderOnly.index()).isEqualTo("retriever-v0");
        assertThat(encoderOnly.embedded()).isZero();
        assertThat(Fixtures.listing(indexes)).as("no file of the index was written or added").isEqualTo(untouched);
        traffic.awaitMore(5);

        // The full round after it: its own index, embedded, verified and swapped in.
        Fixtures.publishExamples(kafka.bootstrapServers(), topics, examples.subList(24, 48));
        await().atMost(Duration.ofMinutes(4)).until(() -> node.indexes().current().modelVersion().equals("retriever-v2"));
        ModelVersion full = decisions.get(1);
        assertThat(full.getIndexVersion()).as("a full round embeds its own passages").isNull();
        assertThat(full.getParentVersion()).isEqualTo(1);
        IndexManager.Swap rebuilt = swaps.get(swaps.size() - 1);
        assertThat(rebuilt.kind()).isEqualTo(IndexManager.SwapKind.BUILD);
        assertThat(rebuilt.index()).isEqualTo("retriever-v2");
        assertThat(rebuilt.embedded()).isEqualTo(data.corpus().passages().size());
        assertThat(node.store().count("retriever-v2")).isEqualTo(data.corpus().passages().size());
        traffic.awaitMore(5);

        traffic.close();
        trainer.stop();
        trainerThread.join(60_000);
        assertThat(traffic.problems()).as("failed or unpaired responses").isEmpty();
      }
    }
  }
}

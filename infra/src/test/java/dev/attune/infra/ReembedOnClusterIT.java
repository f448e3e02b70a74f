package dev.attune.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.infra.data.BeirDataset;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.reembed.FlinkReembedder;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.testkit.StandaloneFlinkCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The indexer hands full rounds' embedding to a standalone Flink cluster (a JobManager and a
 * TaskManager with two slots, as separate processes): two promotions in a row each run the
 * re-embedding job jar at parallelism 2 on the same TaskManager (ONNX Runtime and the tokenizer
 * from the cluster's class path, so the second job loads them as well), and the indexer swaps to an
 * index holding exactly the corpus, embedded by nothing in its own process. An indexer that stops
 * mid-build cancels its job; one restarted with a deadline no job meets serves the last version from
 * the store, cancels the job at the deadline and fails the swap saying so.
 */
class ReembedOnClusterIT {
  private static final Topics TOPICS = Topics.withPrefix("rc.");
  @TempDir Path work;

  @Test
  void two_full_rounds_embedded_on_the_cluster_are_swapped_in() throws Exception {
    Path jobJar = Path.of(System.getProperty("attune.reindex.jobJar", "../reindex/target/attune-reindex-0.1.0-SNAPSHOT-job.jar"));
    assertThat(jobJar).as("build the reindex module first (mvn package)").exists();
    Corpus corpus = BeirDataset.bundled().firstArticles(1).corpus();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"));
        QdrantServer qdrant = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), work.resolve("qdrant"), Duration.ofSeconds(60));
        StandaloneFlinkCluster cluster = StandaloneFlinkCluster.start(StandaloneFlinkCluster.classPathWithoutJobCode(), work.resolve("flink"))) {
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), TOPICS.all(), 2, (short) 1);
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        publisher.publishCorpus(TOPICS.corpus(), corpus.passages());
      }
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(cluster::ready);
      ModelRegistry models = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
      ServingNode.Config config = new ServingNode.Config(kafka.settings(), TOPICS, work.resolve("indexer"), models,
          QdrantVectorStore.Config.local(qdrant.grpcPort(), "rc_passages"), "127.0.0.1", 0, RetrievalApi.Config.open(),
          Tasks.defaults().instructions(), 64, 256, ServingNode.Role.INDEXER)
          .withReembed(new FlinkReembedder.Config(URI.create(cluster.restUrl()), jobJar, 2, 1, Duration.ofMinutes(4), "", "local", "", "us-east-1"));
      List<IndexManager.Swap> swaps = new CopyOnWriteArrayList<>();
      List<String> failures = new CopyOnWriteArrayList<>();
      try (ServingNode indexer = ServingNode.start(config, new IndexManager.Listener() {
        @Override
        public void swapped(IndexManager.Swap swap) {
          swaps.add(swap);
        }

        @Override
        public void failed(String model, Exception cause) {
          failures.add(model + ": " + cause.getMessage());
        }
      })) {
        assertThat(indexer.indexes().corpusSize()).as("passages the indexer read from the corpus topic").isEqualTo(corpus.passages().size());
        for (int version = 1; version <= 2; version++) {
          String name = ModelRegistry.name(version);
          promote(kafka, models, version);
          // The listener hears of a swap just after it is live: wait for both.
          await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
              .failFast(() -> assertThat(failures).as("failed swaps").isEmpty())
              .untilAsserted(() -> assertThat(swaps).as("TaskManager log:%n%s", tail(cluster.log("taskmanager"))).last()
                  .extracting(IndexManager.Swap::to).isEqualTo(name));
          assertThat(indexer.indexes().current().modelVersion()).isEqualTo(name);
          assertThat(indexer.indexes().current().indexVersion()).isEqualTo(name);
          // Said apart, so a shortfall names its layer: the snapshot handed to the job, the count verified at the swap, the store now.
          assertThat(swaps).last().satisfies(s -> {
            assertThat(s.kind()).isEqualTo(IndexManager.SwapKind.BUILD);
            assertThat(s.embedded()).as("passages in the snapshot the job embedded").isEqualTo(corpus.passages().size());
            assertThat(s.passages()).as("points verified at the swap").isEqualTo(corpus.passages().size());
            assertThat(s.smokeRecall()).isGreaterThan(0.5);
          });
          assertThat(indexer.store().count(name)).as("points in %s after the swap", name).isEqualTo(corpus.passages().size());
        }
        // An indexer that stops while the cluster embeds does not leave the job writing
        promote(kafka, models, 3);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
            .until(() -> jobs(cluster).getOrDefault("attune-reembed retriever-v3", List.of()).contains("RUNNING"));
      }
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
          .until(() -> jobs(cluster).get("attune-reembed retriever-v3").equals(List.of("CANCELED")));

      // Restarted with a deadline no job can meet: it serves v2 from the store at once, asks the cluster for
      // v3 (what the model log names) again, cancels that job at the deadline and fails the swap saying so
      ServingNode.Config impatient = config.withReembed(new FlinkReembedder.Config(URI.create(cluster.restUrl()), jobJar, 2, 1,
          Duration.ofSeconds(2), "", "local", "", "us-east-1"));
      List<String> impatientFailures = new CopyOnWriteArrayList<>();
      try (ServingNode indexer = ServingNode.start(impatient, new IndexManager.Listener() {
        @Override
        public void failed(String model, Exception cause) {
          impatientFailures.add(model + ": " + cause.getMessage());
        }
      })) {
        assertThat(indexer.indexes().current().modelVersion()).as("restored from the store").isEqualTo("retriever-v2");
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> !impatientFailures.isEmpty());
        assertThat(impatientFailures).singleElement().asString().contains("retriever-v3", "did not finish within PT2S", "cancelled");
        assertThat(indexer.indexes().current().modelVersion()).isEqualTo("retriever-v2");
        assertThat(indexer.store().versions()).as("the unfinished build's collection is dropped").doesNotContain("retriever-v3");
      }
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> assertThat(jobs(cluster)).containsExactlyInAnyOrderEntriesOf(Map.of(
          "attune-reembed retriever-v1", List.of("FINISHED"), "attune-reembed retriever-v2", List.of("FINISHED"),
          "attune-reembed retriever-v3", List.of("CANCELED", "CANCELED"))));
    }
  }

  /** The cluster's jobs: each name's states. */
  private static Map<String, List<String>> jobs(StandaloneFlinkCluster cluster) throws Exception {
    JsonNode overview = new ObjectMapper().readTree(HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(cluster.restUrl() + "/jobs/overview")).build(), HttpResponse.BodyHandlers.ofString()).body());
    Map<String, List<String>> out = new TreeMap<>();
    for (JsonNode job : overview.path("jobs")) out.computeIfAbsent(job.path("name").asText(), n -> new ArrayList<>()).add(job.path("state").asText());
    return out;
  }

  private static void promote(EmbeddedKafka kafka, ModelRegistry models, int version) {
    promote(kafka, version, models.publish(ModelRegistry.name(version), models.cloneBase(version)));
  }

  private static void promote(EmbeddedKafka kafka, int version, String artifactUri) {
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publish(TOPICS.modelVersions(), "RETRIEVER", ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version)
          .setName(ModelRegistry.name(version)).setArtifactUri(artifactUri)
          .setCreatedAtMs(System.currentTimeMillis()).setStatus(ModelStatus.PROMOTED).build());
    }
  }

  private static String tail(String log) {
    return log.length() <= 4000 ? log : log.substring(log.length() - 4000);
  }
}

package dev.attune.infra;

import dev.attune.testkit.Traffic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.attune.client.AttuneClient;
import dev.attune.client.AttuneClientException;
import dev.attune.infra.data.BeirDataset;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topics;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import dev.attune.serving.IndexManager;
import dev.attune.serving.ServingNode;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.serving.store.SearchHit;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.task.Tasks;
import dev.attune.models.registry.ModelRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving on a real broker, the real bge-small encoder and both real stores (Lucene, and a Qdrant
 * 1.16.3 server): a swap under concurrent traffic with corpus changes arriving mid-build, instant
 * rollback, restart from what the store recorded, cleanup of a crashed build, auth, validation,
 * metrics, and the Java client.
 */
class ServingIT {
  private static final String TOKEN = "s3cret-token";
  @TempDir static Path shared;
  private static EmbeddedKafka kafka;
  private static QdrantServer qdrant;
  private static Corpus corpus;

  @TempDir Path work;

  @BeforeAll
  static void startInfrastructure() throws IOException {
    kafka = EmbeddedKafka.start(shared.resolve("kafka"));
    qdrant = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), shared.resolve("qdrant"), Duration.ofSeconds(60));
    corpus = BeirDataset.bundled().firstArticles(1).corpus();
  }

  @AfterAll
  static void stopInfrastructure() {
    if (qdrant != null) qdrant.close();
    if (kafka != null) kafka.close();
  }

  private record Setup(Topics topics, ServingNode.Config config) {}

  private Setup setup(String store) throws Exception {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Topics topics = Topics.withPrefix(prefix);
    EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
    QdrantVectorStore.Config q = store.equals("qdrant") ? QdrantVectorStore.Config.local(qdrant.grpcPort(), prefix.replace(".", "_") + "passages") : null;
    ServingNode.Config config = new ServingNode.Config(kafka.settings(), topics, work.resolve("serving"), new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15), q, "127.0.0.1", 0, new RetrievalApi.Config(TOKEN, false), Tasks.defaults().instructions(), 64, 256);
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      for (Corpus.Passage p : corpus.passages()) upsert(publisher, topics, p.id(), p.title(), p.text());
    }
    return new Setup(topics, config);
  }

  private static void upsert(EventPublisher publisher, Topics topics, String id, String title, String text) {
    publisher.publish(topics.corpus(), id, PassageEvent.newBuilder().setPassageId(id).setOp(PassageOp.UPSERT)
        .setTitle(title).setText(text).setTimestampMs(System.currentTimeMillis()).build());
    publisher.flush();
  }

  private static void delete(EventPublisher publisher, Topics topics, String id) {
    publisher.publish(topics.corpus(), id, PassageEvent.newBuilder().setPassageId(id).setOp(PassageOp.DELETE)
        .setTimestampMs(System.currentTimeMillis()).build());
    publisher.flush();
  }

  /** A second model with the base weights copied to its own directory: the swap does all its real work. */
  private void promote(Topics topics, int version, ModelStatus status) {
    Path dir = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15).cloneBase(version);
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publish(topics.modelVersions(), "RETRIEVER", ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version)
          .setName(ModelRegistry.name(version)).setArtifactUri(dir.toUri().toString()).setCreatedAtMs(System.currentTimeMillis())
          .setStatus(status).build());
    }
  }

  private static List<String> ids(List<SearchHit> hits) {
    return hits.stream().map(SearchHit::id).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"lucene", "qdrant"})
  void swap_under_traffic_catch_up_corpus_changes_and_roll_back_instantly(String store) throws Exception {
    Setup s = setup(store);
    List<IndexManager.Swap> swaps = new CopyOnWriteArrayList<>();
    try (ServingNode node = ServingNode.start(s.config(), new IndexManager.Listener() {
      @Override
      public void swapped(IndexManager.Swap swap) {
        swaps.add(swap);
      }
    })) {
      AttuneClient client = new AttuneClient(node.uri(), TOKEN, Duration.ofSeconds(30));
      assertThat(client.retrieve(AttuneClient.RetrieveRequest.of("Who won Super Bowl 50?", 3)).modelVersion()).isEqualTo("retriever-v0");

      Traffic traffic = new Traffic(() -> {
        AttuneClient.Retrieval r = client.retrieve(AttuneClient.RetrieveRequest.of("Which team won the game?", 5));
        return r.modelVersion().equals(r.indexVersion()) ? null : "mixed: " + r.modelVersion() + "/" + r.indexVersion();
      });

      Corpus.Passage doomed = corpus.passages().get(3);
      promote(s.topics(), 1, ModelStatus.PROMOTED);
      await().atMost(Duration.ofMinutes(1)).until(() -> node.indexes().building().isPresent());
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        upsert(publisher, s.topics(), "late-1", "Zebras", "Zebras of the Serengeti migrate across the Mara river every summer.");
        delete(publisher, s.topics(), doomed.id());
      }
      await().atMost(Duration.ofMinutes(3)).until(() -> node.indexes().current().modelVersion().equals("retriever-v1"));
      traffic.awaitMore(3);
      traffic.close();

      assertThat(traffic.problems()).as("failed or mixed-version responses").isEmpty();
      IndexManager.Swap build = swaps.stream().filter(w -> w.kind() == IndexManager.SwapKind.BUILD).findFirst().orElseThrow();
      assertThat(build.smokeRecall()).isGreaterThanOrEqualTo(0.6);
      int corpusSize = corpus.passages().size();
      assertThat(node.store().count("retriever-v1")).isEqualTo(corpusSize);
      var zebra = node.service().search("zebras migrating across the Mara river", "qa", 3);
      assertThat(zebra.modelVersion()).isEqualTo("retriever-v1");
      assertThat(ids(zebra.hits())).startsWith("late-1");
      assertThat(ids(node.service().search(doomed.text(), "qa", 10).hits())).doesNotContain(doomed.id());

      // Instant rollback: the previous version was kept and kept in step with the corpus.
      assertThat(client.rollback().get("to").asText()).isEqualTo("retriever-v0");
      var back = node.service().search("zebras migrating across the Mara river", "qa", 3);
      assertThat(back.modelVersion()).isEqualTo("retriever-v0");
      assertThat(ids(back.hits())).startsWith("late-1");
      assertThat(node.store().count("retriever-v0")).isEqualTo(corpusSize);
      assertThat(node.store().active()).contains("retriever-v0");

      assertThat(client.rollback().get("to").asText()).isEqualTo("retriever-v1");
      assertThat(client.rollback().get("to").asText()).isEqualTo("retriever-v0");

      // Operations surface: auth, validation, metrics, feedback through the client.
      AttuneClient anonymous = new AttuneClient(node.uri(), null, Duration.ofSeconds(10));
      assertThatThrownBy(() -> anonymous.retrieve(AttuneClient.RetrieveRequest.of("q", 3)))
          .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(401));
      assertThatThrownBy(() -> client.retrieve(AttuneClient.RetrieveRequest.of("q", 0)))
          .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(400)).hasMessageContaining("k (0)");
      assertThatThrownBy(() -> client.retrieve(new AttuneClient.RetrieveRequest("q", "poetry", 3, null, null)))
          .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(400)).hasMessageContaining("unknown task");
      assertThatThrownBy(() -> client.retrieve(AttuneClient.RetrieveRequest.of(" ", 3)))
          .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(400)).hasMessageContaining("empty");
      var filtered = client.retrieve(new AttuneClient.RetrieveRequest("river", null, 5,
          new AttuneClient.Filters(null, List.of("late-1", corpus.passages().get(0).id())), null));
      assertThat(filtered.passages()).extracting(AttuneClient.Passage::id)
          .containsExactlyInAnyOrder("late-1", corpus.passages().get(0).id());
      Map<String, String> events = client.feedback(filtered.requestId(),
          new AttuneClient.LlmFeedback("llm-a", "ANSWER_LOG_LIKELIHOOD", Map.of("late-1", -0.5), "zebras", null),
          new AttuneClient.HumanFeedback(List.of("late-1"), List.of("zebras")));
      assertThat(events).containsKeys("llmEventId", "humanEventId");

      String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(node.uri().resolve("/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("attune_swaps_total{kind=\"build\"} 1.0", "attune_swaps_total{kind=\"rollback\"} 3.0",
          "attune_requests_total{endpoint=\"/v1/retrieve\",status=\"401\"} 1.0", "attune_request_seconds_bucket",
          "attune_index_passages " + corpusSize + ".0");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"lucene", "qdrant"})
  void restart_on_the_recorded_version_catch_up_and_drop_a_crashed_build(String store) throws Exception {
    Setup s = setup(store);
    try (ServingNode node = ServingNode.start(s.config(), new IndexManager.Listener() {})) {
      assertThatThrownBy(() -> new AttuneClient(node.uri(), TOKEN, Duration.ofSeconds(10)).rollback())
          .isInstanceOfSatisfying(AttuneClientException.class, e -> assertThat(e.status()).isEqualTo(409));
      promote(s.topics(), 1, ModelStatus.PROMOTED);
      await().atMost(Duration.ofMinutes(3)).until(() -> node.indexes().current().modelVersion().equals("retriever-v1"));
      // What a crash in the middle of a build leaves behind: a version marked as building.
      node.store().create("retriever-v9", 384);
      node.store().setMetadata("retriever-v9", Map.of("attune.state", "building", "attune.model", "retriever-v9"));
    }
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      upsert(publisher, s.topics(), "while-down", "Glaciers", "Glaciers in Patagonia retreated by forty metres last year.");
    }

    List<IndexManager.Swap> swaps = new CopyOnWriteArrayList<>();
    List<String> failedBuilds = new CopyOnWriteArrayList<>();
    try (ServingNode node = ServingNode.start(s.config(), new IndexManager.Listener() {
      @Override
      public void swapped(IndexManager.Swap swap) {
        swaps.add(swap);
      }

      @Override
      public void failed(String model, Exception cause) {
        failedBuilds.add(model);
      }
    })) {
      assertThat(swaps).extracting(IndexManager.Swap::kind).containsExactly(IndexManager.SwapKind.RESTORED);
      assertThat(node.indexes().current().modelVersion()).isEqualTo("retriever-v1");
      assertThat(node.indexes().previous()).map(p -> p.modelVersion()).contains("retriever-v0");
      assertThat(node.store().versions()).containsExactlyInAnyOrder("retriever-v0", "retriever-v1");
      assertThat(ids(node.service().search("Patagonian glaciers retreating", "qa", 3).hits())).startsWith("while-down");
      assertThat(node.store().count("retriever-v1")).isEqualTo(corpus.passages().size() + 1);

      // A rollback decided on the model topic is obeyed, instantly.
      promote(s.topics(), 1, ModelStatus.ROLLED_BACK);
      await().atMost(Duration.ofSeconds(30)).until(() -> node.indexes().current().modelVersion().equals("retriever-v0"));
      // The listener hears of a swap just after it is live (once the index's size is read back).
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(swaps).extracting(IndexManager.Swap::kind).endsWith(IndexManager.SwapKind.ROLLBACK));

      // A promoted model whose weights cannot be read: the build fails, is reported, and nothing changes.
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        publisher.publish(s.topics().modelVersions(), "RETRIEVER", ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(5)
            .setName("retriever-v5").setArtifactUri(work.resolve("nowhere").toUri().toString())
            .setCreatedAtMs(System.currentTimeMillis()).setStatus(ModelStatus.PROMOTED).build());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> failedBuilds.contains("retriever-v5"));
      assertThat(node.indexes().current().modelVersion()).isEqualTo("retriever-v0");
      assertThat(node.store().active()).contains("retriever-v0");
      assertThat(node.store().versions()).containsExactlyInAnyOrder("retriever-v0", "retriever-v1");
    }
  }
}

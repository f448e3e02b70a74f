package dev.attune.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.serving.api.RetrievalApi;
import dev.attune.serving.store.QdrantServer;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.testkit.EmbeddedKafka;
import dev.attune.testkit.Traffic;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One indexer and two replicas on a real broker and a real Qdrant: under HTTP traffic to every node,
 * a query-side promotion and then a full one reach all three with no failed request and no response
 * pairing a query encoder with an index the model log does not pair it with; the replicas write
 * nothing and refuse to roll back on their own; a replica started after the swaps comes up on the
 * current version.
 */
class ServingReplicasIT {
  private static final Pattern PAIR = Pattern.compile("\"modelVersion\":\"([^\"]+)\",\"indexVersion\":\"([^\"]+)\"");
  private static final Set<String> ALLOWED = Set.of("retriever-v0/retriever-v0", "retriever-v1/retriever-v0", "retriever-v2/retriever-v2");
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path work;

  @Test
  void replicas_follow_the_indexer_through_both_kinds_of_swap() throws Exception {
    Topics topics = Topics.withPrefix("rep.");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"));
        QdrantServer qdrant = QdrantServer.start(QdrantServer.binary(QdrantServer.defaultCache()), work.resolve("qdrant"), Duration.ofSeconds(60))) {
      EmbeddedKafka.createTopics(kafka.bootstrapServers(), topics.all(), 1, (short) 1);
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        publisher.publishCorpus(topics.corpus(), SamplePassages.corpus().passages());
      }
      ModelRegistry models = new ModelRegistry(work.resolve("models"), ModelSpec.BGE_SMALL_EN_V15);
      ServingNode.Config indexerConfig = new ServingNode.Config(kafka.settings(), topics, work.resolve("indexer"), models,
          QdrantVectorStore.Config.local(qdrant.grpcPort(), "rep_passages"), "127.0.0.1", 0, RetrievalApi.Config.open(), Tasks.defaults().instructions(), 64, 256);
      try (ServingNode indexer = ServingNode.start(indexerConfig, new IndexManager.Listener() {});
          ServingNode replicaA = ServingNode.start(replica(indexerConfig, "a"), new IndexManager.Listener() {});
          ServingNode replicaB = ServingNode.start(replica(indexerConfig, "b"), new IndexManager.Listener() {})) {
        List<ServingNode> nodes = List.of(indexer, replicaA, replicaB);
        assertThat(nodes).allSatisfy(n -> assertThat(n.indexes().current().modelVersion()).isEqualTo("retriever-v0"));
        List<String> collectionsBefore = indexer.store().versions();
        List<Traffic> traffic = new ArrayList<>();
        for (ServingNode n : nodes) traffic.add(new Traffic(() -> check(n.uri())));

        promote(kafka, topics, models, 1, 0);
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() ->
            assertThat(nodes).allSatisfy(n -> assertThat(n.indexes().current().modelVersion()).isEqualTo("retriever-v1")));
        assertThat(indexer.store().versions()).as("a query-side swap builds nothing").isEqualTo(collectionsBefore);
        for (Traffic t : traffic) t.awaitMore(3);

        promote(kafka, topics, models, 2, null);
        await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> assertThat(nodes).allSatisfy(n ->
            assertThat(List.of(n.indexes().current().modelVersion(), n.indexes().current().indexVersion())).containsExactly("retriever-v2", "retriever-v2")));
        for (Traffic t : traffic) t.awaitMore(3);
        for (Traffic t : traffic) t.close();

        for (Traffic t : traffic) assertThat(t.problems()).as("failed or mixed responses").isEmpty();
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(replicaA.uri().resolve("/v1/admin/rollback")).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("replica", "attune models rollback");

        try (ServingNode late = ServingNode.start(replica(indexerConfig, "late"), new IndexManager.Listener() {})) {
          assertThat(late.indexes().current().modelVersion()).isEqualTo("retriever-v2");
          assertThat(check(late.uri())).isNull();
        }
      }
    }
  }

  private ServingNode.Config replica(ServingNode.Config indexer, String name) {
    return new ServingNode.Config(indexer.kafka(), indexer.topics(), work.resolve("replica-" + name), indexer.models(), indexer.qdrant(),
        "127.0.0.1", 0, indexer.api(), indexer.tasks(), indexer.maxQueryTokens(), indexer.maxPassageTokens(), ServingNode.Role.REPLICA);
  }

  /** A version with the base's weights in its own directory; {@code index} names the index a query-side version searches. */
  private static void promote(EmbeddedKafka kafka, Topics topics, ModelRegistry models, int version, Integer index) {
    Path dir = models.cloneBase(version);
    try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
      publisher.publish(topics.modelVersions(), "RETRIEVER", ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version)
          .setName(ModelRegistry.name(version)).setArtifactUri(models.publish(ModelRegistry.name(version), dir)).setCreatedAtMs(System.currentTimeMillis())
          .setIndexVersion(index).setStatus(ModelStatus.PROMOTED).build());
    }
  }

  /** Null when the node answered with a pair the model log allows; else what was wrong. */
  private String check(URI node) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/v1/retrieve"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"Which team won Super Bowl 50?\",\"k\":3}")).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) return node + " answered " + r.statusCode() + ": " + r.body();
      Matcher m = PAIR.matcher(r.body());
      if (!m.find()) return node + " answered without versions: " + r.body();
      String pair = m.group(1) + "/" + m.group(2);
      return ALLOWED.contains(pair) ? null : node + " answered with the pair " + pair;
    } catch (Exception e) {
      return node + " failed: " + e;
    }
  }
}

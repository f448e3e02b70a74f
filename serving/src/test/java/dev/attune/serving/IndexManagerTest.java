package dev.attune.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelStatus;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.serving.store.LuceneVectorStore;
import dev.attune.serving.store.SearchFilter;
import dev.attune.serving.store.SearchHit;
import dev.attune.serving.store.StoredPassage;
import dev.attune.serving.store.VectorStore;
import dev.attune.serving.store.VersionedHits;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.registry.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index manager's swaps on the real bge-small encoder and the real Lucene store, the corpus
 * topic read through Kafka's own MockConsumer: a query-side version goes live on the index it was
 * trained against without one write to the store, a corpus change reaches an index two versions
 * share once, a rollback between them moves nothing, and a full version builds its own index.
 */
class IndexManagerTest {
  static final Topic<PassageEvent> CORPUS = Topics.defaults().corpus();
  static final TopicPartition PARTITION = new TopicPartition(CORPUS.name(), 0);
  @TempDir static Path models;
  static ModelRegistry registry;
  @TempDir Path work;
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  private final CountingStore store = new CountingStore();
  private IndexManager manager;
  private long offset;

  @BeforeAll
  static void models() {
    dev.attune.schemas.AvroCodec.trust(ModelVersion.getClassSchema());
    registry = new ModelRegistry(models, ModelSpec.BGE_SMALL_EN_V15);
    for (int v = 1; v <= 3; v++) registry.cloneBase(v);
  }

  @AfterEach
  void close() {
    if (manager != null) manager.close();
    store.close();
  }

  /** Wraps the real Lucene store and records every call that writes to it, once the write is done. */
  final class CountingStore implements VectorStore {
    final List<String> writes = new CopyOnWriteArrayList<>();
    /** Injected fault: the real store cannot be made to fail one version's writes on demand. */
    volatile String failUpsertsTo;
    private LuceneVectorStore delegate;

    void open(Path dir) {
      delegate = new LuceneVectorStore(dir);
    }

    @Override public void create(String version, int dimension) { delegate.create(version, dimension); writes.add("create " + version); }
    @Override public void upsert(String version, List<StoredPassage> passages) {
      if (version.equals(failUpsertsTo)) throw new IllegalStateException("injected: the store refuses writes to " + version);
      delegate.upsert(version, passages);
      writes.add("upsert " + version + " " + passages.size());
    }
    @Override public void delete(String version, List<String> ids) { delegate.delete(version, ids); writes.add("delete " + version + " " + ids); }
    @Override public long count(String version) { return delegate.count(version); }
    @Override public List<SearchHit> search(String version, float[] query, int k, SearchFilter filter) { return delegate.search(version, query, k, filter); }
    @Override public void scan(String version, int batch, Consumer<List<StoredPassage>> sink) { delegate.scan(version, batch, sink); }
    @Override public VersionedHits searchActive(float[] query, int k, SearchFilter filter) { return delegate.searchActive(query, k, filter); }
    @Override public void activate(String version) { delegate.activate(version); writes.add("activate " + version); }
    @Override public Optional<String> active() { return delegate.active(); }
    @Override public List<String> versions() { return delegate.versions(); }
    @Override public void setMetadata(String version, Map<String, String> metadata) { delegate.setMetadata(version, metadata); writes.add("metadata " + version + " " + metadata.keySet()); }
    @Override public Map<String, String> metadata(String version) { return delegate.metadata(version); }
    @Override public void drop(String version) { delegate.drop(version); writes.add("drop " + version); }
    @Override public void close() { if (delegate != null) delegate.close(); }
  }

  private void publish(String id, String title, String text) {
    byte[] event = CORPUS.codec().encode(PassageEvent.newBuilder().setPassageId(id).setOp(PassageOp.UPSERT).setTitle(title).setText(text)
        .setTimestampMs(0).build());
    consumer.addRecord(new ConsumerRecord<>(CORPUS.name(), 0, offset++, id, event));
    consumer.updateEndOffsets(Map.of(PARTITION, offset));
  }

  private static ModelVersion promoted(int version, Integer index) {
    return ModelVersion.newBuilder().setKind(ModelKind.RETRIEVER).setVersion(version).setName(ModelRegistry.name(version))
        .setArtifactUri(registry.dir(version).toUri().toString()).setCreatedAtMs(version).setStatus(ModelStatus.PROMOTED)
        .setIndexVersion(index).build();
  }

  private IndexManager start(String model) {
    consumer.updatePartitions(CORPUS.name(), List.of(new PartitionInfo(CORPUS.name(), 0, null, null, null)));
    consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
    // MockConsumer queues records only on an assigned partition; the follower itself assigns at its first read.
    consumer.assign(List.of(PARTITION));
    CorpusFollower follower = new CorpusFollower(consumer, CORPUS, dev.attune.schemas.Limits.defaults());
    publish("nile", "Rivers", "The Nile is the longest river in Africa. It flows north into the Mediterranean Sea.");
    publish("etna", "Volcanoes", "Mount Etna is an active volcano on the east coast of Sicily. It erupts often.");
    publish("chess", "Chess", "Chess is a board game for two players on a checkered board of 64 squares. It is old.");
    publish("bees", "Bees", "Honey bees live in colonies with a single queen and thousands of workers. They dance.");
    ModelCatalog catalog = new ModelCatalog(registry, 128);
    catalog.register(promoted(1, null));
    catalog.register(promoted(2, 1));
    catalog.register(promoted(3, null));
    store.open(work.resolve("indexes"));
    manager = new IndexManager(store, follower, catalog, IndexManager.Config.defaults(128), new IndexManager.Listener() {});
    manager.start(model);
    return manager;
  }

  @Test
  void a_query_side_version_goes_live_on_its_index_without_touching_the_store() throws Exception {
    IndexManager m = start("retriever-v1");
    store.writes.clear();

    IndexManager.Swap swap = m.requestSwap("retriever-v2").get();

    assertThat(swap.kind()).isEqualTo(IndexManager.SwapKind.QUERY_ENCODER);
    assertThat(swap.index()).isEqualTo("retriever-v1");
    assertThat(swap.embedded()).isZero();
    assertThat(swap.smokeRecall()).isEqualTo(1.0);
    assertThat(store.writes).as("nothing embedded, created, moved or recorded").isEmpty();
    assertThat(m.current()).extracting(ServingState::modelVersion, ServingState::indexVersion).containsExactly("retriever-v2", "retriever-v1");
    assertThat(m.previous()).map(ServingState::modelVersion).contains("retriever-v1");

    // Rolling back between two versions on one index moves nothing either.
    assertThat(m.rollback().to()).isEqualTo("retriever-v1");
    assertThat(m.rollback().to()).isEqualTo("retriever-v2");
    assertThat(store.writes).isEmpty();
    assertThat(store.active()).contains("retriever-v1");
  }

  @Test
  void the_trainer_reads_a_complete_index_as_serving_searches_it() {
    start("retriever-v1");
    ServingIndexes indexes = new ServingIndexes(store);

    var entries = indexes.read("retriever-v1").orElseThrow();

    assertThat(entries.stream().map(e -> e.id())).containsExactlyInAnyOrder("nile", "etna", "chess", "bees");
    var nile = entries.stream().filter(e -> e.id().equals("nile")).findFirst().orElseThrow();
    assertThat(nile.embeddingText()).isEqualTo("Rivers. The Nile is the longest river in Africa. It flows north into the Mediterranean Sea.");
    assertThat(nile.vector()).hasSize(384);
    assertThat(indexes.read("retriever-v3")).as("no such index").isEmpty();
    // A build that has not completed is not an index to train against.
    store.create("retriever-v3", 384);
    assertThat(indexes.read("retriever-v3")).isEmpty();
  }

  @Test
  void a_corpus_change_reaches_an_index_two_versions_share_once() throws Exception {
    IndexManager m = start("retriever-v1");
    m.requestSwap("retriever-v2").get();
    store.writes.clear();

    publish("tea", "Tea", "Green tea is made from leaves that have not been withered and oxidised. It is popular.");

    await().atMost(Duration.ofSeconds(30)).until(() -> store.writes.contains("upsert retriever-v1 1"));
    assertThat(store.writes.stream().filter(w -> w.startsWith("upsert"))).containsExactly("upsert retriever-v1 1");
    assertThat(m.current().modelVersion()).isEqualTo("retriever-v2");
    assertThat(store.count("retriever-v1")).isEqualTo(5);
  }

  @Test
  void a_full_version_builds_its_own_index_and_the_shared_one_is_dropped_once_unused() throws Exception {
    IndexManager m = start("retriever-v1");
    m.requestSwap("retriever-v2").get();
    store.writes.clear();

    IndexManager.Swap full = m.requestSwap("retriever-v3").get();

    assertThat(full.kind()).isEqualTo(IndexManager.SwapKind.BUILD);
    assertThat(full.index()).isEqualTo("retriever-v3");
    assertThat(full.embedded()).isEqualTo(4);
    assertThat(store.writes).contains("create retriever-v3", "upsert retriever-v3 4", "activate retriever-v3");
    // v2 (on index v1) is kept for rollback, so index v1 stays.
    assertThat(store.versions()).containsExactlyInAnyOrder("retriever-v1", "retriever-v3");

    IndexManager.Swap back = m.requestSwap("retriever-v2").get();

    assertThat(back.kind()).as("the previous version comes back at once").isEqualTo(IndexManager.SwapKind.ROLLBACK);
    assertThat(m.current()).extracting(ServingState::modelVersion, ServingState::indexVersion).containsExactly("retriever-v2", "retriever-v1");
    assertThat(store.active()).contains("retriever-v1");
  }

  @Test
  void a_build_that_fails_keeps_the_live_version_and_leaves_no_index_behind() throws Exception {
    IndexManager m = start("retriever-v1");
    store.failUpsertsTo = "retriever-v3";

    assertThatThrownBy(() -> m.requestSwap("retriever-v3").get()).hasRootCauseMessage("injected: the store refuses writes to retriever-v3");

    assertThat(m.current()).extracting(ServingState::modelVersion, ServingState::indexVersion).containsExactly("retriever-v1", "retriever-v1");
    assertThat(m.building()).isEmpty();
    assertThat(store.versions()).as("the half-built index is dropped").containsExactly("retriever-v1");
    assertThat(store.active()).contains("retriever-v1");

    // The manager is not stuck: the next request is served.
    store.failUpsertsTo = null;
    assertThat(m.requestSwap("retriever-v3").get().kind()).isEqualTo(IndexManager.SwapKind.BUILD);
    assertThat(m.current().modelVersion()).isEqualTo("retriever-v3");
  }

  @Test
  void there_is_nothing_to_roll_back_to_before_a_second_version() {
    IndexManager m = start("retriever-v1");

    assertThat(m.previous()).isEmpty();
    assertThatThrownBy(m::rollback).isInstanceOf(IllegalStateException.class).hasMessage("no previous version to roll back to");
    assertThat(m.current().modelVersion()).isEqualTo("retriever-v1");
  }
}

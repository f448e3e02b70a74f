package dev.attune.serving.store;

import static io.qdrant.client.ConditionFactory.matchKeywords;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorsFactory.vectors;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.QueryFactory;
import io.qdrant.client.WithPayloadSelectorFactory;
import io.qdrant.client.WithVectorsSelectorFactory;
import io.qdrant.client.grpc.Collections.AliasDescription;
import io.qdrant.client.grpc.Collections.AliasOperations;
import io.qdrant.client.grpc.Collections.CreateAlias;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.DeleteAlias;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.UpdateCollection;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.RetrievedPoint;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.ScrollPoints;
import io.qdrant.client.grpc.Points.ScrollResponse;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.VectorOutput;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Qdrant store: one collection per index version ({@code <alias>_<version>}) and an alias that
 * serving reads through. Activation moves the alias with ONE {@code updateAliasesAsync} request
 * (delete + create together), so no reader ever finds the alias missing or half-moved.
 */
public final class QdrantVectorStore implements VectorStore {
  /** Where the server is and what the alias is called. */
  /**
   * Where the server is and how to reach it.
   *
   * @param apiKey sent with every call (null: none)
   * @param tls gRPC over TLS, verified against the JVM's trust store; a server that checks an API key
   *     should only be reached this way, or the key crosses the network in clear
   */
  public record Config(String host, int grpcPort, String alias, String apiKey, boolean tls, int upsertBatch, Duration timeout) {
    /** A server on this machine's loopback, no key, no TLS (what {@link QdrantServer} starts). */
    public static Config local(int grpcPort, String alias) {
      return new Config("127.0.0.1", grpcPort, alias, null, false, 256, Duration.ofSeconds(30));
    }

    public Config withApiKey(String key) {
      return new Config(host, grpcPort, alias, key, tls, upsertBatch, timeout);
    }
  }

  private static final String PASSAGE_ID = "passage_id";
  private static final String TITLE = "title";
  private static final String TEXT = "text";
  private static final String INDEX_VERSION = "index_version";

  private final Config config;
  private final QdrantClient client;

  public QdrantVectorStore(Config config) {
    this.config = config;
    QdrantGrpcClient.Builder grpc = QdrantGrpcClient.newBuilder(config.host(), config.grpcPort(), config.tls());
    if (config.apiKey() != null) grpc.withApiKey(config.apiKey());
    this.client = new QdrantClient(grpc.withTimeout(config.timeout()).build());
  }

  private String collection(String version) {
    return config.alias() + "_" + version;
  }

  private <T> T await(Future<T> future, String what) {
    try {
      return future.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted", e);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IllegalStateException(what + ": Qdrant did not answer within " + config.timeout(), e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new IllegalArgumentException(what + ": not found (" + s.getStatus().getDescription() + ")", s);
      }
      throw new IllegalStateException(what + " failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private void requireExists(String version) {
    if (!await(client.collectionExistsAsync(collection(version)), "exists " + version)) {
      throw new IllegalArgumentException("no index version " + version + "; have " + versions());
    }
  }

  @Override
  public void create(String version, int dimension) {
    String name = collection(version);
    if (await(client.collectionExistsAsync(name), "exists " + version)) {
      throw new IllegalStateException("index version " + version + " already exists");
    }
    await(client.createCollectionAsync(CreateCollection.newBuilder().setCollectionName(name)
        .setVectorsConfig(VectorsConfig.newBuilder().setParams(VectorParams.newBuilder().setSize(dimension).setDistance(Distance.Cosine)))
        .build()), "create " + name);
    for (String field : List.of(PASSAGE_ID, TITLE)) {
      await(client.createPayloadIndexAsync(name, field, PayloadSchemaType.Keyword, null, true, null, null), "index " + field);
    }
  }

  /** Qdrant ids are UUIDs or integers; the passage id maps to a name-based UUID and travels in the payload. */
  static PointId pointId(String passageId) {
    return id(UUID.nameUUIDFromBytes(passageId.getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public void upsert(String version, List<StoredPassage> passages) {
    if (passages.isEmpty()) return;
    requireExists(version);
    String name = collection(version);
    for (int start = 0; start < passages.size(); start += config.upsertBatch()) {
      List<PointStruct> points = new ArrayList<>();
      for (StoredPassage p : passages.subList(start, Math.min(passages.size(), start + config.upsertBatch()))) {
        Map<String, Value> payload = new HashMap<>();
        payload.put(PASSAGE_ID, value(p.id()));
        if (p.title() != null) payload.put(TITLE, value(p.title()));
        payload.put(TEXT, value(p.text()));
        payload.put(INDEX_VERSION, value(version));
        points.add(PointStruct.newBuilder().setId(pointId(p.id())).setVectors(vectors(p.vector())).putAllPayload(payload).build());
      }
      await(client.upsertAsync(UpsertPoints.newBuilder().setCollectionName(name).setWait(true).addAllPoints(points).build()),
          "upsert into " + name);
    }
  }

  @Override
  public void delete(String version, List<String> ids) {
    if (ids.isEmpty()) return;
    requireExists(version);
    await(client.deleteAsync(collection(version), ids.stream().map(QdrantVectorStore::pointId).toList()), "delete from " + version);
  }

  @Override
  public long count(String version) {
    requireExists(version);
    return await(client.countAsync(collection(version), null, true), "count " + version);
  }

  @Override
  public List<SearchHit> search(String version, float[] query, int k, SearchFilter filter) {
    if (k < 1) throw new IllegalArgumentException("k (" + k + ") must be >= 1");
    return hits(query(collection(version), query, k, filter, "search " + version));
  }

  @Override
  public void scan(String version, int batch, java.util.function.Consumer<List<StoredPassage>> sink) {
    if (batch < 1) throw new IllegalArgumentException("batch (" + batch + ") must be >= 1");
    requireExists(version);
    String name = collection(version);
    PointId offset = null;
    do {
      ScrollPoints.Builder page = ScrollPoints.newBuilder().setCollectionName(name).setLimit(batch)
          .setWithPayload(WithPayloadSelectorFactory.enable(true)).setWithVectors(WithVectorsSelectorFactory.enable(true));
      if (offset != null) page.setOffset(offset);
      ScrollResponse response = await(client.scrollAsync(page.build()), "scroll " + name);
      List<StoredPassage> chunk = new ArrayList<>(response.getResultCount());
      for (RetrievedPoint p : response.getResultList()) {
        Map<String, Value> payload = p.getPayloadMap();
        Value title = payload.get(TITLE);
        VectorOutput v = p.getVectors().getVector();
        List<Float> data = v.getDense().getDataCount() > 0 ? v.getDense().getDataList() : v.getDataList();
        float[] vector = new float[data.size()];
        for (int i = 0; i < vector.length; i++) vector[i] = data.get(i);
        chunk.add(new StoredPassage(payload.get(PASSAGE_ID).getStringValue(), title == null ? null : title.getStringValue(),
            payload.get(TEXT).getStringValue(), vector));
      }
      if (!chunk.isEmpty()) sink.accept(chunk);
      offset = response.hasNextPageOffset() ? response.getNextPageOffset() : null;
    } while (offset != null);
  }

  private List<ScoredPoint> query(String target, float[] query, int k, SearchFilter filter, String what) {
    QueryPoints.Builder q = QueryPoints.newBuilder().setCollectionName(target).setQuery(QueryFactory.nearest(query))
        .setLimit(k).setWithPayload(WithPayloadSelectorFactory.enable(true));
    if (!filter.isEmpty()) {
      Filter.Builder f = Filter.newBuilder();
      if (!filter.titles().isEmpty()) f.addMust(matchKeywords(TITLE, List.copyOf(filter.titles())));
      if (!filter.ids().isEmpty()) f.addMust(matchKeywords(PASSAGE_ID, List.copyOf(filter.ids())));
      q.setFilter(f);
    }
    return await(client.queryAsync(q.build()), what);
  }

  private static List<SearchHit> hits(List<ScoredPoint> points) {
    List<SearchHit> hits = new ArrayList<>(points.size());
    for (ScoredPoint p : points) {
      Map<String, Value> payload = p.getPayloadMap();
      Value title = payload.get(TITLE);
      hits.add(new SearchHit(payload.get(PASSAGE_ID).getStringValue(), title == null ? null : title.getStringValue(),
          payload.get(TEXT).getStringValue(), p.getScore()));
    }
    return hits;
  }

  /** Reads through the alias; every point names its index version, so the answer says which one served. */
  @Override
  public VersionedHits searchActive(float[] query, int k, SearchFilter filter) {
    List<ScoredPoint> points = query(config.alias(), query, k, filter, "search alias " + config.alias());
    String version = points.isEmpty() ? null : points.get(0).getPayloadMap().get(INDEX_VERSION).getStringValue();
    return new VersionedHits(version, hits(points));
  }

  @Override
  public void activate(String version) {
    requireExists(version);
    List<AliasOperations> ops = new ArrayList<>();
    if (active().isPresent()) {
      ops.add(AliasOperations.newBuilder().setDeleteAlias(DeleteAlias.newBuilder().setAliasName(config.alias())).build());
    }
    ops.add(AliasOperations.newBuilder().setCreateAlias(
        CreateAlias.newBuilder().setAliasName(config.alias()).setCollectionName(collection(version))).build());
    await(client.updateAliasesAsync(ops), "move alias " + config.alias() + " to " + version);
  }

  @Override
  public Optional<String> active() {
    String prefix = config.alias() + "_";
    for (AliasDescription a : await(client.listAliasesAsync(), "list aliases")) {
      if (a.getAliasName().equals(config.alias()) && a.getCollectionName().startsWith(prefix)) {
        return Optional.of(a.getCollectionName().substring(prefix.length()));
      }
    }
    return Optional.empty();
  }

  @Override
  public List<String> versions() {
    String prefix = config.alias() + "_";
    return await(client.listCollectionsAsync(), "list collections").stream()
        .filter(c -> c.startsWith(prefix)).map(c -> c.substring(prefix.length())).sorted().toList();
  }

  @Override
  public void setMetadata(String version, Map<String, String> metadata) {
    requireExists(version);
    Map<String, Value> values = new HashMap<>();
    metadata.forEach((k, v) -> values.put(k, value(v)));
    await(client.updateCollectionAsync(UpdateCollection.newBuilder().setCollectionName(collection(version)).putAllMetadata(values).build()),
        "set metadata of " + version);
  }

  @Override
  public Map<String, String> metadata(String version) {
    requireExists(version);
    Map<String, String> out = new HashMap<>();
    await(client.getCollectionInfoAsync(collection(version)), "describe " + version).getConfig().getMetadataMap()
        .forEach((k, v) -> out.put(k, v.getStringValue()));
    return out;
  }

  @Override
  public void drop(String version) {
    if (active().filter(version::equals).isPresent()) throw new IllegalStateException("cannot drop the active index " + version);
    if (!await(client.collectionExistsAsync(collection(version)), "exists " + version)) return;
    await(client.deleteCollectionAsync(collection(version)), "drop " + version);
  }

  @Override
  public void close() {
    client.close();
  }
}

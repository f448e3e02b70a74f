package dev.attune.reindex;

import dev.attune.models.artifact.ArtifactStore;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.registry.ModelRegistry;
import dev.attune.serving.Corpus;
import dev.attune.serving.reembed.ReembedRequest;
import dev.attune.serving.store.QdrantVectorStore;
import dev.attune.serving.store.StoredPassage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;

/**
 * Embeds passages with the requested version's passage encoder (ONNX Runtime, one session per
 * parallel writer, i.e. per TaskManager slot) and upserts them into the index's Qdrant collection.
 * Upserts are idempotent (a passage's point id derives from its id), so a restarted attempt simply
 * writes again.
 */
final class EmbeddingSink implements Sink<CorpusRecord> {
  private final ReembedRequest request;

  EmbeddingSink(ReembedRequest request) {
    this.request = request;
  }

  @Override
  public SinkWriter<CorpusRecord> createWriter(WriterInitContext context) throws IOException {
    return new Writer(request, context.metricGroup().counter("passagesEmbedded"));
  }

  private static final class Writer implements SinkWriter<CorpusRecord> {
    private final ReembedRequest request;
    private final Counter embedded;
    private final Path cache;
    private final Encoder encoder;
    private final QdrantVectorStore store;
    private final List<Corpus.Passage> pending = new ArrayList<>();

    Writer(ReembedRequest request, Counter embedded) throws IOException {
      this.request = request;
      this.embedded = embedded;
      // One fetched copy per writer: writers in one TaskManager must not unpack into the same place at once.
      this.cache = Files.createTempDirectory("attune-reembed-");
      ModelSpec base = baseSpec(request.baseModel());
      ArtifactStore artifacts = ArtifactStore.open(request.artifacts(),
          request.s3Endpoint().isEmpty() ? null : URI.create(request.s3Endpoint()), request.s3Region(), cache.resolve("artifacts"));
      Path dir = new ModelRegistry(cache, base, artifacts).fetch(request.artifactUri());
      ModelSpec spec = ModelSpec.of(dir, base);
      if (spec == null) throw new IOException(request.artifactUri() + " records no model spec, and base model " + request.baseModel() + " is unknown here");
      this.encoder = new OnnxEncoder(request.index(), dir, spec, request.maxPassageTokens(), request.threadsPerSlot());
      this.store = new QdrantVectorStore(new QdrantVectorStore.Config(request.qdrantHost(), request.qdrantGrpcPort(), request.qdrantAlias(),
          System.getenv(ReembedRequest.QDRANT_API_KEY_ENV), request.qdrantTls(), 256, Duration.ofSeconds(60)));
    }

    /** The bundled base named, for an artifact written before specs were recorded; null when the name is a path not on this machine. */
    private static ModelSpec baseSpec(String name) {
      try {
        return ModelSpec.resolve(name);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }

    @Override
    public void write(CorpusRecord passage, Context context) {
      pending.add(new Corpus.Passage(passage.passageId(), passage.title(), passage.text()));
      if (pending.size() >= request.embedBatch() * 8) store();
    }

    @Override
    public void flush(boolean endOfInput) {
      store();
    }

    private void store() {
      if (pending.isEmpty()) return;
      float[][] vectors = encoder.embed(pending.stream().map(Corpus.Passage::embeddingText).toList(), request.maxPassageTokens(),
          request.embedBatch(), Progress.silent());
      List<StoredPassage> points = new ArrayList<>(pending.size());
      for (int i = 0; i < vectors.length; i++) {
        Corpus.Passage p = pending.get(i);
        points.add(new StoredPassage(p.id(), p.title(), p.text(), vectors[i]));
      }
      store.upsert(request.index(), points);
      embedded.inc(points.size());
      pending.clear();
    }

    @Override
    public void close() throws IOException {
      try {
        encoder.close();
        store.close();
      } finally {
        try (Stream<Path> files = Files.walk(cache)) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
      }
    }
  }
}

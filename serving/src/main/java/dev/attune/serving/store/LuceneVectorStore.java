package dev.attune.serving.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.FSDirectory;

/** Embedded default store: one Lucene HNSW index directory per version under {@code root}. */
public final class LuceneVectorStore implements VectorStore {
  private static final String ID = "id";
  private static final String TITLE = "title";
  private static final String TEXT = "text";
  private static final String VECTOR = "vector";

  private record Index(FSDirectory directory, IndexWriter writer, SearcherManager searchers) {}

  private final Path root;
  private final Map<String, Index> indexes = new ConcurrentHashMap<>();
  private final AtomicReference<String> active = new AtomicReference<>();

  public LuceneVectorStore(Path root) {
    this.root = root;
  }

  @Override
  public synchronized void create(String version, int dimension) {
    if (indexes.containsKey(version)) throw new IllegalStateException("index version " + version + " already exists");
    try {
      Path dir = root.resolve(version);
      if (Files.exists(dir)) deleteTree(dir);
      FSDirectory directory = FSDirectory.open(dir);
      IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE));
      writer.commit();
      indexes.put(version, new Index(directory, writer, new SearcherManager(writer, null)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create index " + version + " under " + root, e);
    }
  }

  private Index index(String version) {
    Index index = indexes.get(version);
    if (index == null) throw new IllegalArgumentException("no index version " + version + "; have " + indexes.keySet());
    return index;
  }

  @Override
  public void upsert(String version, List<StoredPassage> passages) {
    if (passages.isEmpty()) return;
    Index index = index(version);
    try {
      for (StoredPassage p : passages) {
        Document doc = new Document();
        doc.add(new StringField(ID, p.id(), Field.Store.YES));
        if (p.title() != null) doc.add(new StoredField(TITLE, p.title()));
        doc.add(new StoredField(TEXT, p.text()));
        doc.add(new KnnFloatVectorField(VECTOR, p.vector(), VectorSimilarityFunction.DOT_PRODUCT));
        index.writer().updateDocument(new Term(ID, p.id()), doc);
      }
      index.writer().commit();
      index.searchers().maybeRefreshBlocking();
    } catch (IOException e) {
      throw new UncheckedIOException("upsert into " + version + " failed", e);
    }
  }

  @Override
  public void delete(String version, List<String> ids) {
    Index index = index(version);
    try {
      for (String id : ids) index.writer().deleteDocuments(new Term(ID, id));
      index.writer().commit();
      index.searchers().maybeRefreshBlocking();
    } catch (IOException e) {
      throw new UncheckedIOException("delete from " + version + " failed", e);
    }
  }

  @Override
  public long count(String version) {
    Index index = index(version);
    try {
      IndexSearcher searcher = index.searchers().acquire();
      try {
        return searcher.getIndexReader().numDocs();
      } finally {
        index.searchers().release(searcher);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<SearchHit> search(String version, float[] query, int k) {
    if (k < 1) throw new IllegalArgumentException("k (" + k + ") must be >= 1");
    Index index = index(version);
    try {
      IndexSearcher searcher = index.searchers().acquire();
      try {
        List<SearchHit> hits = new ArrayList<>();
        for (ScoreDoc sd : searcher.search(new KnnFloatVectorQuery(VECTOR, query, Math.max(k, 50)), k).scoreDocs) {
          Document doc = searcher.storedFields().document(sd.doc);
          // Lucene maps dot product d to (1 + d) / 2; report the cosine.
          hits.add(new SearchHit(doc.get(ID), doc.get(TITLE), doc.get(TEXT), 2 * sd.score - 1));
        }
        return hits;
      } finally {
        index.searchers().release(searcher);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("search in " + version + " failed", e);
    }
  }

  @Override
  public void activate(String version) {
    index(version);
    active.set(version);
  }

  @Override
  public Optional<String> active() {
    return Optional.ofNullable(active.get());
  }

  @Override
  public List<String> versions() {
    return indexes.keySet().stream().sorted().toList();
  }

  @Override
  public synchronized void drop(String version) {
    if (version.equals(active.get())) throw new IllegalStateException("cannot drop the active index " + version);
    Index index = indexes.remove(version);
    if (index == null) return;
    try {
      index.searchers().close();
      index.writer().close();
      index.directory().close();
      deleteTree(root.resolve(version));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot drop " + version, e);
    }
  }

  @Override
  public synchronized void close() {
    for (Index index : indexes.values()) {
      try {
        index.searchers().close();
        index.writer().close();
        index.directory().close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    indexes.clear();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}

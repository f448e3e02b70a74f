package dev.attune.serving.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
import java.util.function.Consumer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Embedded default store: one Lucene HNSW index directory per version under {@code root}. Metadata
 * lives in each index's commit data and the active pointer in {@code root/ACTIVE}, replaced by an
 * atomic file move, so a reopened store sees exactly what was committed.
 */
public final class LuceneVectorStore implements VectorStore {
  private static final String ID = "id";
  private static final String TITLE = "title";
  private static final String TEXT = "text";
  private static final String VECTOR = "vector";
  private static final String ACTIVE_FILE = "ACTIVE";

  private record Index(FSDirectory directory, IndexWriter writer, SearcherManager searchers) {}

  private final Path root;
  private final Map<String, Index> indexes = new ConcurrentHashMap<>();
  private final AtomicReference<String> active = new AtomicReference<>();

  /** Opens the store, reopening every version and the active pointer found under {@code root}. */
  public LuceneVectorStore(Path root) {
    this.root = root;
    try {
      Files.createDirectories(root);
      try (Stream<Path> dirs = Files.list(root)) {
        for (Path dir : dirs.filter(Files::isDirectory).toList()) {
          FSDirectory directory = FSDirectory.open(dir);
          if (!DirectoryReader.indexExists(directory)) {
            directory.close();
            deleteTree(dir);
            continue;
          }
          indexes.put(dir.getFileName().toString(), open(directory, IndexWriterConfig.OpenMode.APPEND));
        }
      }
      Path pointer = root.resolve(ACTIVE_FILE);
      if (Files.exists(pointer)) {
        String version = Files.readString(pointer, StandardCharsets.UTF_8).trim();
        if (indexes.containsKey(version)) active.set(version);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open vector store under " + root, e);
    }
  }

  private static Index open(FSDirectory directory, IndexWriterConfig.OpenMode mode) throws IOException {
    IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig().setOpenMode(mode));
    return new Index(directory, writer, new SearcherManager(writer, null));
  }

  @Override
  public synchronized void create(String version, int dimension) {
    if (indexes.containsKey(version)) throw new IllegalStateException("index version " + version + " already exists");
    try {
      Path dir = root.resolve(version);
      if (Files.exists(dir)) deleteTree(dir);
      Index index = open(FSDirectory.open(dir), IndexWriterConfig.OpenMode.CREATE);
      index.writer().commit();
      indexes.put(version, index);
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
        if (p.title() != null) doc.add(new StringField(TITLE, p.title(), Field.Store.YES));
        doc.add(new StoredField(TEXT, p.text()));
        doc.add(new KnnFloatVectorField(VECTOR, p.vector(), VectorSimilarityFunction.DOT_PRODUCT));
        index.writer().updateDocument(new Term(ID, p.id()), doc);
      }
      commit(index);
    } catch (IOException e) {
      throw new UncheckedIOException("upsert into " + version + " failed", e);
    }
  }

  @Override
  public void delete(String version, List<String> ids) {
    Index index = index(version);
    try {
      for (String id : ids) index.writer().deleteDocuments(new Term(ID, id));
      commit(index);
    } catch (IOException e) {
      throw new UncheckedIOException("delete from " + version + " failed", e);
    }
  }

  private static void commit(Index index) throws IOException {
    index.writer().commit();
    index.searchers().maybeRefreshBlocking();
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
  public List<SearchHit> search(String version, float[] query, int k, SearchFilter filter) {
    if (k < 1) throw new IllegalArgumentException("k (" + k + ") must be >= 1");
    Index index = index(version);
    try {
      IndexSearcher searcher = index.searchers().acquire();
      try {
        List<SearchHit> hits = new ArrayList<>();
        Query knn = new KnnFloatVectorQuery(VECTOR, query, Math.max(k, 50), filterQuery(filter));
        for (ScoreDoc sd : searcher.search(knn, k).scoreDocs) {
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
  public void scan(String version, int batch, Consumer<List<StoredPassage>> sink) {
    if (batch < 1) throw new IllegalArgumentException("batch (" + batch + ") must be >= 1");
    Index index = index(version);
    try {
      IndexSearcher searcher = index.searchers().acquire();
      try {
        List<StoredPassage> chunk = new ArrayList<>(batch);
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
          FloatVectorValues vectors = leaf.reader().getFloatVectorValues(VECTOR);
          if (vectors == null) continue;
          Bits live = leaf.reader().getLiveDocs();
          StoredFields fields = leaf.reader().storedFields();
          for (int doc = vectors.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = vectors.nextDoc()) {
            if (live != null && !live.get(doc)) continue;
            Document d = fields.document(doc);
            chunk.add(new StoredPassage(d.get(ID), d.get(TITLE), d.get(TEXT), vectors.vectorValue().clone()));
            if (chunk.size() == batch) {
              sink.accept(chunk);
              chunk = new ArrayList<>(batch);
            }
          }
        }
        if (!chunk.isEmpty()) sink.accept(chunk);
      } finally {
        index.searchers().release(searcher);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("scan of " + version + " failed", e);
    }
  }

  private static Query filterQuery(SearchFilter filter) {
    if (filter.isEmpty()) return null;
    BooleanQuery.Builder q = new BooleanQuery.Builder();
    if (!filter.titles().isEmpty()) q.add(terms(TITLE, filter.titles()), BooleanClause.Occur.FILTER);
    if (!filter.ids().isEmpty()) q.add(terms(ID, filter.ids()), BooleanClause.Occur.FILTER);
    return q.build();
  }

  private static Query terms(String field, java.util.Set<String> values) {
    return new TermInSetQuery(field, values.stream().map(BytesRef::new).toList());
  }

  @Override
  public VersionedHits searchActive(float[] query, int k, SearchFilter filter) {
    String version = active.get();
    if (version == null) throw new IllegalStateException("no active index version");
    return new VersionedHits(version, search(version, query, k, filter));
  }

  @Override
  public synchronized void activate(String version) {
    index(version);
    try {
      Path tmp = root.resolve(ACTIVE_FILE + ".tmp");
      Files.writeString(tmp, version, StandardCharsets.UTF_8);
      Files.move(tmp, root.resolve(ACTIVE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record active version " + version, e);
    }
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
  public void setMetadata(String version, Map<String, String> metadata) {
    Index index = index(version);
    try {
      Map<String, String> merged = metadata(version);
      merged.putAll(metadata);
      index.writer().setLiveCommitData(merged.entrySet());
      index.writer().commit();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metadata of " + version, e);
    }
  }

  @Override
  public Map<String, String> metadata(String version) {
    Index index = index(version);
    Map<String, String> out = new HashMap<>();
    Iterable<Map.Entry<String, String>> live = index.writer().getLiveCommitData();
    if (live != null) live.forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  @Override
  public synchronized void drop(String version) {
    if (version.equals(active.get())) throw new IllegalStateException("cannot drop the active index " + version);
    Index index = indexes.remove(version);
    if (index == null) return;
    try {
      close(index);
      deleteTree(root.resolve(version));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot drop " + version, e);
    }
  }

  private static void close(Index index) throws IOException {
    index.searchers().close();
    index.writer().close();
    index.directory().close();
  }

  @Override
  public synchronized void close() {
    for (Index index : indexes.values()) {
      try {
        close(index);
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

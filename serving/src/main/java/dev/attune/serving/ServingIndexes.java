package dev.attune.serving;

import dev.attune.serving.store.VectorStore;
import dev.attune.models.index.StoredIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Serving's indexes as a trainer reads them: the stored vectors of a complete index version, so a
 * query-side round trains against exactly what serving searches without embedding the corpus.
 */
public final class ServingIndexes implements StoredIndex {
  private static final int SCAN_BATCH = 1024;
  private final VectorStore store;

  public ServingIndexes(VectorStore store) {
    this.store = store;
  }

  @Override
  public Optional<List<Entry>> read(String model) {
    if (!store.versions().contains(model) || !IndexManager.COMPLETE.equals(store.metadata(model).get(IndexManager.STATE))) return Optional.empty();
    List<Entry> entries = new ArrayList<>();
    store.scan(model, SCAN_BATCH, chunk -> chunk.forEach(p ->
        entries.add(new Entry(p.id(), new Corpus.Passage(p.id(), p.title(), p.text()).embeddingText(), p.vector()))));
    return Optional.of(entries);
  }
}

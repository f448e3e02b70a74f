package dev.attune.serving;

import dev.attune.serving.store.StoredPassage;
import dev.attune.serving.store.VectorStore;
import dev.attune.trainers.model.Encoder;
import dev.attune.trainers.model.Progress;
import java.util.ArrayList;
import java.util.List;

/** Re-embeds the corpus with one encoder into a new index version and verifies it. */
public final class IndexBuilder {
  private final VectorStore store;
  private final int maxPassageTokens;

  public IndexBuilder(VectorStore store, int maxPassageTokens) {
    this.store = store;
    this.maxPassageTokens = maxPassageTokens;
  }

  /**
   * Builds index {@code indexVersion}. On any failure the partial index is dropped, so the live
   * version is untouched and the same version can be built again.
   */
  public void build(Encoder encoder, String indexVersion, Corpus corpus, Progress progress) {
    store.create(indexVersion, encoder.dimension());
    try {
      List<Corpus.Passage> passages = corpus.passages();
      float[][] vectors = encoder.embed(passages.stream().map(Corpus.Passage::embeddingText).toList(), maxPassageTokens, 32, progress);
      List<StoredPassage> stored = new ArrayList<>(passages.size());
      for (int i = 0; i < passages.size(); i++) {
        Corpus.Passage p = passages.get(i);
        stored.add(new StoredPassage(p.id(), p.title(), p.text(), vectors[i]));
      }
      store.upsert(indexVersion, stored);
      long count = store.count(indexVersion);
      if (count != passages.size()) {
        throw new IllegalStateException("index " + indexVersion + " holds " + count + " passages, corpus has " + passages.size());
      }
    } catch (RuntimeException e) {
      store.drop(indexVersion);
      throw e;
    }
  }
}

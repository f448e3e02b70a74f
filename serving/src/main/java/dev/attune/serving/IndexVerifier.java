package dev.attune.serving;

import dev.attune.serving.store.SearchHit;
import dev.attune.serving.store.VectorStore;
import dev.attune.models.encoder.Encoder;
import java.util.Comparator;
import java.util.List;

/**
 * Checks a freshly built index before it may go live: it holds exactly the corpus, and a smoke
 * query set (each passage's opening sentence, which should find its own passage) meets a recall
 * floor. A model that embeds nonsense fails the second check even when the counts agree.
 */
public final class IndexVerifier {
  /** {@code smokeQueries} passages are sampled (by a stable hash of their ids). */
  public record Config(int smokeQueries, int k, double recallFloor, int maxQueryTokens) {
    public static Config defaults() {
      return new Config(50, 10, 0.6, 64);
    }
  }

  /** What was checked. */
  public record Verification(long points, int smokeQueries, double smokeRecall) {}

  /** Thrown when a build must not go live. */
  public static final class VerificationFailed extends RuntimeException {
    VerificationFailed(String message) {
      super(message);
    }
  }

  private final Config config;

  public IndexVerifier(Config config) {
    this.config = config;
  }

  public Verification verify(VectorStore store, String version, Encoder encoder, Corpus corpus) {
    long points = store.count(version);
    if (points != corpus.passages().size()) {
      throw new VerificationFailed("index " + version + " holds " + points + " passages, the corpus has " + corpus.passages().size());
    }
    return smoke(store, version, encoder, corpus);
  }

  /**
   * The smoke queries alone: {@code encoder} finds the sampled passages in {@code version}. What a
   * replica checks before it serves an index another process built (whose count that process checked).
   */
  public Verification smoke(VectorStore store, String version, Encoder encoder, Corpus corpus) {
    long points = store.count(version);
    List<Corpus.Passage> sample = smokeSample(corpus, config.smokeQueries());
    if (sample.isEmpty()) return new Verification(points, 0, 1.0);
    float[][] queries = encoder.embedBatch(sample.stream().map(p -> openingSentence(p.text())).toList(), config.maxQueryTokens());
    int found = 0;
    for (int i = 0; i < sample.size(); i++) {
      String id = sample.get(i).id();
      if (store.search(version, queries[i], config.k()).stream().map(SearchHit::id).anyMatch(id::equals)) found++;
    }
    double recall = (double) found / sample.size();
    if (recall < config.recallFloor()) {
      throw new VerificationFailed(String.format("index %s: smoke recall@%d %.2f on %d queries is below the floor %.2f",
          version, config.k(), recall, sample.size(), config.recallFloor()));
    }
    return new Verification(points, sample.size(), recall);
  }

  /** The passages whose opening sentences are the smoke queries: the same ones for the same ids, whatever their order. */
  public static List<Corpus.Passage> smokeSample(Corpus corpus, int size) {
    return corpus.passages().stream().sorted(Comparator.comparingInt(p -> p.id().hashCode() * 0x9E3779B9)).limit(size).toList();
  }

  static String openingSentence(String text) {
    int end = text.indexOf(". ");
    String s = end > 20 ? text.substring(0, end + 1) : text;
    return s.length() > 300 ? s.substring(0, 300) : s;
  }
}

package dev.attune.infra.replay;

import dev.attune.trainers.eval.LlmScorer;

import dev.attune.schemas.SignalKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The offline stand-in for an LLM: a Dirichlet-smoothed unigram language model of each passage,
 * log P(answer | passage) = mean over answer tokens of log((c(w, d) + μ·P(w | C)) / (|d| + μ)).
 * It prefers passages that contain the answer's words, which is what answer likelihood rewards; it
 * knows nothing of the question. Replace it with {@link OpenAiCompatibleScorer} for a real LLM.
 */
public final class UnigramLmScorer implements LlmScorer {
  /** The smoothing every command uses. */
  public static final double DEFAULT_MU = 2000;
  private final double mu;
  private final Map<String, Long> collection = new HashMap<>();
  private final long collectionLength;

  public UnigramLmScorer(List<String> corpusTexts, double mu) {
    if (!(mu > 0)) throw new IllegalArgumentException("mu (" + mu + ") must be > 0");
    this.mu = mu;
    long length = 0;
    for (String text : corpusTexts) {
      for (String t : tokens(text)) {
        collection.merge(t, 1L, Long::sum);
        length++;
      }
    }
    this.collectionLength = Math.max(1, length);
  }

  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!t.isEmpty()) out.add(t);
    }
    return out;
  }

  @Override
  public String llmId() {
    return "unigram-lm-dirichlet";
  }

  @Override
  public SignalKind signalKind() {
    return SignalKind.ANSWER_LOG_LIKELIHOOD;
  }

  /** A passage's term counts and length. */
  private record Doc(Map<String, Integer> counts, int length) {}

  /** Passages seen lately, tokenised once: evaluation scores every passage for every question. */
  private final Map<String, Doc> docs = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Doc> eldest) {
      return size() > 50_000;
    }
  });

  private static Doc doc(String passage) {
    List<String> tokens = tokens(passage);
    Map<String, Integer> counts = new HashMap<>();
    tokens.forEach(t -> counts.merge(t, 1, Integer::sum));
    return new Doc(counts, tokens.size());
  }

  @Override
  public double score(String question, String passage, String answer) {
    List<String> answerTokens = tokens(answer);
    if (answerTokens.isEmpty()) return Math.log(1.0 / (collectionLength + 1));
    PassageModel model = given(passage);
    double sum = 0;
    for (String w : answerTokens) sum += model.logProb(w);
    return sum / answerTokens.size();
  }

  /** The passage's model, looked up once for the many tokens scored against it. */
  public PassageModel given(String passage) {
    return new PassageModel(docs.computeIfAbsent(passage, UnigramLmScorer::doc));
  }

  /** One passage's smoothed unigram model. */
  public final class PassageModel {
    private final Doc doc;

    private PassageModel(Doc doc) {
      this.doc = doc;
    }

    /** log P(token | this passage), {@code token} lower-cased as {@link UnigramLmScorer#tokens} makes it. */
    public double logProb(String token) {
      double background = (collection.getOrDefault(token, 0L) + 0.5) / (collectionLength + 1.0);
      return Math.log((doc.counts().getOrDefault(token, 0) + mu * background) / (doc.length() + mu));
    }
  }
}

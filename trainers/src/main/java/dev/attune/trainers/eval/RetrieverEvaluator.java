package dev.attune.trainers.eval;

import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.task.Tasks;
import java.util.List;
import java.util.Map;

/** Embeds a corpus and judged queries with one encoder and scores exact top-k retrieval. */
public final class RetrieverEvaluator {
  private final List<String> passageIds;
  private final List<String> passageTexts;
  private final int maxQueryTokens;
  private final int maxPassageTokens;

  public RetrieverEvaluator(List<String> passageIds, List<String> passageTexts, int maxQueryTokens, int maxPassageTokens) {
    if (passageIds.size() != passageTexts.size()) {
      throw new IllegalArgumentException("ids size (" + passageIds.size() + ") is not equal to texts size (" + passageTexts.size() + ")");
    }
    this.passageIds = passageIds;
    this.passageTexts = passageTexts;
    this.maxQueryTokens = maxQueryTokens;
    this.maxPassageTokens = maxPassageTokens;
  }

  public int size() {
    return passageIds.size();
  }

  public float[][] embedCorpus(Encoder encoder, Progress progress) {
    return encoder.embed(passageTexts, maxPassageTokens, 32, progress);
  }

  /** Scores {@code queries}, each prefixed with its task's instruction, against the embedded corpus. */
  public Map<String, Double> evaluate(Encoder encoder, float[][] corpus, List<RetrievalMetrics.Judged> queries, Tasks tasks) {
    return RetrievalMetrics.evaluate(queries, rank(encoder, corpus, queries, tasks), texts());
  }

  /** Each query's top 10 passage ids by exact search over the embedded corpus, best first. */
  public List<List<String>> rank(Encoder encoder, float[][] corpus, List<RetrievalMetrics.Judged> queries, Tasks tasks) {
    List<String> texts = queries.stream().map(q -> tasks.get(q.task()).queryText(q.text())).toList();
    float[][] vectors = encoder.embed(texts, maxQueryTokens, 64, Progress.silent());
    return ExactSearch.topK(vectors, corpus, passageIds, 10);
  }

  /** Passage id → the text that was embedded (answer recall reads it). */
  public Map<String, String> texts() {
    Map<String, String> byId = new java.util.HashMap<>();
    for (int i = 0; i < passageIds.size(); i++) byId.put(passageIds.get(i), passageTexts.get(i));
    return byId;
  }
}

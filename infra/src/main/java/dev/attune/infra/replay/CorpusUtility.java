package dev.attune.infra.replay;

import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluation questions judged by the LLM over the whole corpus: each one's teacher scores are the
 * LLM's score of every passage with the question's first answer, so {@link
 * RetrievalMetrics#LLM_UTILITY_5} is the share of the LLM's preference over the corpus that a
 * model's top 5 holds, one pool for every model compared. Affordable with the offline scorer (a
 * unigram count per passage); with a real LLM it is |questions| × |corpus| calls.
 */
public final class CorpusUtility {
  private CorpusUtility() {}

  public static List<RetrievalMetrics.Judged> judge(List<RetrievalMetrics.Judged> questions, List<Corpus.Passage> corpus, LlmScorer llm) {
    List<RetrievalMetrics.Judged> out = new ArrayList<>(questions.size());
    for (RetrievalMetrics.Judged q : questions) {
      if (q.answers().isEmpty()) {
        out.add(q);
        continue;
      }
      Map<String, Double> scores = new LinkedHashMap<>();
      for (Corpus.Passage p : corpus) scores.put(p.id(), llm.score(q.text(), p.text(), q.answers().get(0)));
      out.add(new RetrievalMetrics.Judged(q.queryId(), q.task(), q.text(), q.relevant(), q.answers(), scores));
    }
    return out;
  }
}

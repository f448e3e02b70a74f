package dev.attune.trainers.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Makes LLM utility@k fair between two models. Traffic's teacher scores cover only what the serving
 * model retrieved, so a candidate that brings new passages into its top k would be judged on zeros
 * for them: biased toward the model that produced the traffic. The judge asks the same LLM (the
 * configured {@link LlmScorer}) for every passage either model puts in its top k that was never
 * scored, so both are judged over one scored pool. It spends at most {@code budget} new scores per
 * call, answers repeats from a cache keyed by (LLM, query, passage, answer), and says what it could
 * not score; {@link RetrievalMetrics#LLM_SCORED_5} reports the resulting coverage.
 */
public final class LlmJudge {
  /** What one call cost: scores asked of the LLM, answered from the cache, and top-k passages left unscored. */
  public record Spent(int asked, int cached, int unscored) {
    @Override
    public String toString() {
      return asked + " passages scored by the LLM, " + cached + " from its cache, " + unscored + " left unscored";
    }
  }

  /** The queries with their teacher scores extended, and the cost. */
  public record Filled(List<RetrievalMetrics.Judged> queries, Spent spent) {}

  private record Key(String llm, String query, String passage, String answer) {}

  private final LlmScorer scorer;
  private final int budget;
  private final Map<Key, Double> cache;

  /** A judge with no LLM to ask: it fills nothing and counts what it left unscored. */
  public static LlmJudge none() {
    return new LlmJudge(null, 0, 0);
  }

  /**
   * @param scorer the LLM whose answer likelihoods the traffic carries, or null
   * @param budget most new scores per {@link #fill} call
   * @param cacheSize most scores remembered (least recently used dropped first)
   */
  public LlmJudge(LlmScorer scorer, int budget, int cacheSize) {
    if (budget < 0 || cacheSize < 0) throw new IllegalArgumentException("budget (" + budget + ") and cacheSize (" + cacheSize + ") must be >= 0");
    this.scorer = scorer;
    this.budget = budget;
    this.cache = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Double> eldest) {
        return size() > cacheSize;
      }
    };
  }

  /** The LLM asked, or null. */
  public String llmId() {
    return scorer == null ? null : scorer.llmId();
  }

  /**
   * {@code queries} with each one's teacher scores extended to the passages among the top {@code k}
   * of any of {@code rankings} (one list per model, in query order) that the LLM had not scored.
   * Only queries {@code fillable} accepts are filled (the traffic's LLM is the scorer's and an
   * answer is known); the score is of the passage's text with the query's first answer, as the
   * traffic's were.
   *
   * @param passageTexts passage id → the text the LLM reads
   */
  public Filled fill(List<RetrievalMetrics.Judged> queries, List<List<List<String>>> rankings, Map<String, String> passageTexts, int k,
      Predicate<RetrievalMetrics.Judged> fillable) {
    return judge(queries, rankings, passageTexts, k, fillable, false);
  }

  /**
   * Evaluation questions, which were never traffic and so carry no scores, judged over one pool: the
   * LLM scores every passage among the top {@code k} of any of {@code rankings}, and each model's
   * utility is its share of the LLM's preference over that pool. Questions without an answer stay
   * unscored.
   */
  public Filled pool(List<RetrievalMetrics.Judged> questions, List<List<List<String>>> rankings, Map<String, String> passageTexts, int k) {
    return judge(questions, rankings, passageTexts, k, q -> true, true);
  }

  private Filled judge(List<RetrievalMetrics.Judged> queries, List<List<List<String>>> rankings, Map<String, String> passageTexts, int k,
      Predicate<RetrievalMetrics.Judged> fillable, boolean unscoredToo) {
    List<RetrievalMetrics.Judged> out = new ArrayList<>(queries.size());
    int asked = 0, cached = 0, unscored = 0;
    for (int i = 0; i < queries.size(); i++) {
      RetrievalMetrics.Judged q = queries.get(i);
      if (q.teacherScores().isEmpty() && !(unscoredToo && !q.answers().isEmpty())) {
        out.add(q);
        continue;
      }
      Map<String, Double> scores = new LinkedHashMap<>(q.teacherScores());
      Set<String> missing = new LinkedHashSet<>();
      for (List<List<String>> model : rankings) {
        model.get(i).stream().limit(k).filter(id -> !scores.containsKey(id)).forEach(missing::add);
      }
      boolean canAsk = scorer != null && !q.answers().isEmpty() && fillable.test(q);
      for (String id : missing) {
        String text = passageTexts.get(id);
        if (!canAsk || text == null) {
          unscored++;
          continue;
        }
        Key key = new Key(scorer.llmId(), q.text(), text, q.answers().get(0));
        Double hit = cache.get(key);
        if (hit != null) {
          cached++;
          scores.put(id, hit);
        } else if (asked < budget) {
          double s = scorer.score(q.text(), text, q.answers().get(0));
          asked++;
          cache.put(key, s);
          scores.put(id, s);
        } else {
          unscored++;
        }
      }
      out.add(new RetrievalMetrics.Judged(q.queryId(), q.task(), q.text(), q.relevant(), q.answers(), scores));
    }
    return new Filled(out, new Spent(asked, cached, unscored));
  }
}

package dev.attune.trainers.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** recall@k, nDCG@10, answer recall@k and the LLM utility of the top k over ranked passage ids. */
public final class RetrievalMetrics {
  public static final String RECALL_5 = "recall@5";
  public static final String NDCG_10 = "ndcg@10";
  public static final String ANSWER_RECALL_5 = "answer_recall@5";
  public static final String LLM_UTILITY_5 = "llm_utility@5";
  /** Share of the top 5 the LLM has a score for: how much of {@link #LLM_UTILITY_5} rests on measurement. */
  public static final String LLM_SCORED_5 = "llm_scored@5";
  /** Queries behind recall@5 and nDCG@10 (those with relevance labels). */
  public static final String LABELLED = "labelled";
  /** Queries behind the LLM measures (those the LLM scored). */
  public static final String LLM_JUDGED = "llm_judged";
  public static final String QUERIES = "queries";

  private RetrievalMetrics() {}

  /**
   * A judged query: its relevant passages, where known its answer strings, and for live traffic the
   * LLM's teacher scores of the passages it scored.
   */
  public record Judged(String queryId, String task, String text, Set<String> relevant, List<String> answers, Map<String, Double> teacherScores) {
    public Judged(String queryId, String text, Set<String> relevant, List<String> answers) {
      this(queryId, "qa", text, relevant, answers, Map.of());
    }
  }

  /**
   * The LLM-utility of the top k: the share of the teacher's softmax (temperature 1 over the
   * passages the LLM scored) that the top k retrieved passages hold. 1 when the retriever puts
   * everything the LLM wanted first. Passages the LLM never scored count 0, so two models are only
   * comparable over one scored pool: {@link LlmJudge} scores what either put in its top k.
   */
  public static double llmUtility(List<String> ranked, Map<String, Double> teacherScores, int k) {
    double max = teacherScores.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double z = 0;
    for (double s : teacherScores.values()) z += Math.exp(s - max);
    double captured = 0;
    for (String id : ranked.subList(0, Math.min(k, ranked.size()))) {
      Double s = teacherScores.get(id);
      if (s != null) captured += Math.exp(s - max);
    }
    return z == 0 ? 0 : captured / z;
  }

  /** Share of the top k that {@code teacherScores} holds a score for. */
  public static double scoredShare(List<String> ranked, Map<String, Double> teacherScores, int k) {
    int n = Math.min(k, ranked.size());
    if (n == 0) return 0;
    long scored = ranked.stream().limit(k).filter(teacherScores::containsKey).count();
    return (double) scored / n;
  }

  /** Share of relevant passages found in the top k. */
  public static double recall(List<String> ranked, Set<String> relevant, int k) {
    if (relevant.isEmpty()) return 0;
    long hits = ranked.stream().limit(k).filter(relevant::contains).count();
    return (double) hits / relevant.size();
  }

  /** Binary-relevance nDCG at k. */
  public static double ndcg(List<String> ranked, Set<String> relevant, int k) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      if (relevant.contains(ranked.get(i))) dcg += 1.0 / (Math.log(i + 2) / Math.log(2));
    }
    double ideal = 0;
    for (int i = 0; i < Math.min(k, relevant.size()); i++) ideal += 1.0 / (Math.log(i + 2) / Math.log(2));
    return ideal == 0 ? 0 : dcg / ideal;
  }

  /** 1 when any of the top k passage texts contains an answer string (case-insensitive). */
  public static double answerHit(List<String> rankedTexts, List<String> answers, int k) {
    for (String text : rankedTexts.subList(0, Math.min(k, rankedTexts.size()))) {
      String haystack = text.toLowerCase(Locale.ROOT);
      for (String a : answers) {
        String needle = a.trim().toLowerCase(Locale.ROOT);
        if (!needle.isEmpty() && haystack.contains(needle)) return 1;
      }
    }
    return 0;
  }

  /**
   * Mean metrics over queries; {@code rankings.get(i)} are passage ids ranked for {@code
   * queries.get(i)}. recall@5 and nDCG@10 average over the queries with relevance labels, answer
   * recall@5 over those with answers, the LLM measures over those with teacher scores.
   */
  public static Map<String, Double> evaluate(List<Judged> queries, List<List<String>> rankings, Map<String, String> texts) {
    double recall = 0, ndcg = 0, answer = 0, utility = 0, scored = 0;
    int labelled = 0, withAnswers = 0, withTeacher = 0;
    for (int i = 0; i < queries.size(); i++) {
      Judged q = queries.get(i);
      List<String> ranked = rankings.get(i);
      if (!q.relevant().isEmpty()) {
        labelled++;
        recall += recall(ranked, q.relevant(), 5);
        ndcg += ndcg(ranked, q.relevant(), 10);
      }
      if (!q.answers().isEmpty()) {
        withAnswers++;
        answer += answerHit(ranked.stream().map(texts::get).toList(), q.answers(), 5);
      }
      if (!q.teacherScores().isEmpty()) {
        withTeacher++;
        utility += llmUtility(ranked, q.teacherScores(), 5);
        scored += scoredShare(ranked, q.teacherScores(), 5);
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put(RECALL_5, labelled == 0 ? 0 : recall / labelled);
    metrics.put(NDCG_10, labelled == 0 ? 0 : ndcg / labelled);
    metrics.put(ANSWER_RECALL_5, withAnswers == 0 ? 0 : answer / withAnswers);
    if (withTeacher > 0) {
      metrics.put(LLM_UTILITY_5, utility / withTeacher);
      metrics.put(LLM_SCORED_5, scored / withTeacher);
      metrics.put(LLM_JUDGED, (double) withTeacher);
    }
    metrics.put(LABELLED, (double) labelled);
    metrics.put(QUERIES, (double) queries.size());
    return metrics;
  }
}

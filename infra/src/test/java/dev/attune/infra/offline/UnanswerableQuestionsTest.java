package dev.attune.infra.offline;

import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.TeacherSignal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.Bm25Baseline;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Unanswerable questions built from the bundled SQuAD dev set: each question of the first articles
 * retrieved (BM25, top 10) from the passages of every other article, so no passage holds its answer,
 * and scored by the offline LLM stand-in for that answer, as an LLM that answers anyway would be.
 * Beside them the same questions retrieved from the whole corpus, where a passage holding the answer
 * was retrieved. The default flatness threshold must keep the LLM's positives of answerable questions
 * and make none from most unanswerable ones.
 */
class UnanswerableQuestionsTest {
  private static final int ARTICLES = 6;

  @Test
  void make_llm_positives_from_answerable_questions_and_none_from_unanswerable_ones() throws Exception {
    BeirDataset data = BeirDataset.bundled();
    List<Corpus.Passage> passages = data.corpus().passages();
    Map<String, String> titleOf = passages.stream().collect(Collectors.toMap(Corpus.Passage::id, Corpus.Passage::title));
    Map<String, String> textOf = data.texts();
    UnigramLmScorer llm = new UnigramLmScorer(passages.stream().map(Corpus.Passage::text).toList(), 2000);
    MiningConfig config = MiningConfig.defaults();
    List<String> articles = passages.stream().map(Corpus.Passage::title).distinct().limit(ARTICLES).toList();

    List<Double> answerable = new ArrayList<>();
    List<Double> unanswerable = new ArrayList<>();
    for (String article : articles) {
      List<RetrievalMetrics.Judged> questions = data.queries().stream()
          .filter(q -> !q.answers().isEmpty() && q.relevant().stream().allMatch(id -> article.equals(titleOf.get(id)))).toList();
      List<Corpus.Passage> elsewhere = passages.stream().filter(p -> !p.title().equals(article)).toList();
      List<List<String>> whole = rank(passages, questions);
      List<List<String>> others = rank(elsewhere, questions);
      for (int i = 0; i < questions.size(); i++) {
        // Answerable: a passage that holds the answer was retrieved (BM25 misses some; those are unanswerable in fact).
        RetrievalMetrics.Judged q = questions.get(i);
        if (whole.get(i).stream().anyMatch(q.relevant()::contains)) answerable.add(entropy(llm, q, whole.get(i), textOf, config));
        unanswerable.add(entropy(llm, questions.get(i), others.get(i), textOf, config));
      }
    }
    double threshold = config.maxTeacherEntropy();
    double keptAnswerable = share(answerable, e -> e < threshold);
    double silencedUnanswerable = share(unanswerable, e -> e >= threshold);
    System.out.printf(Locale.ROOT, "%d questions of %d articles; normalised teacher entropy quantiles (10/50/90%%): answerable %s, "
            + "unanswerable %s; at the threshold %.3f: answerable keep LLM positives %.1f%%, unanswerable make none %.1f%%%n",
        answerable.size(), ARTICLES, quantiles(answerable), quantiles(unanswerable), threshold, 100 * keptAnswerable,
        100 * silencedUnanswerable);

    // Measured 98.3% and 81.9% (streams/README); the stand-in LLM scores any answer word (a year, a name) it finds
    // in another article's passage, which only an LLM that abstains explicitly can tell apart.
    assertThat(keptAnswerable).as("answerable questions keep their LLM positives").isGreaterThanOrEqualTo(0.97);
    assertThat(silencedUnanswerable).as("unanswerable questions make no LLM positive").isGreaterThanOrEqualTo(0.8);
  }

  private static List<List<String>> rank(List<Corpus.Passage> passages, List<RetrievalMetrics.Judged> questions) {
    return Bm25Baseline.rank(passages.stream().map(Corpus.Passage::id).toList(),
        passages.stream().map(Corpus.Passage::embeddingText).toList(), questions);
  }

  /** The episode's teacher entropy as the miner computes it, the LLM scoring the question's answer under each passage. */
  private static double entropy(UnigramLmScorer llm, RetrievalMetrics.Judged q, List<String> retrieved, Map<String, String> textOf,
      MiningConfig config) {
    Map<String, Double> scores = new LinkedHashMap<>();
    for (String id : retrieved) scores.put(id, llm.score(q.text(), textOf.get(id), q.answers().get(0)));
    return TeacherSignal.normalisedEntropy(scores, config.teacherTemperature());
  }

  private static double share(List<Double> values, java.util.function.DoublePredicate test) {
    return values.stream().filter(v -> test.test(v)).count() / (double) values.size();
  }

  private static String quantiles(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return Arrays.stream(new double[] {0.1, 0.5, 0.9})
        .mapToObj(q -> String.format(Locale.ROOT, "%.4f", sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))]))
        .collect(Collectors.joining("/"));
  }
}

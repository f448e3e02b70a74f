package dev.attune.trainers.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.attune.schemas.SignalKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LlmJudgeTest {
  /** A scorer whose answer likelihood is read off the passage text ("score -2.0"), counting its calls. */
  static final class TextScorer implements LlmScorer {
    final List<String> asked = new ArrayList<>();

    @Override
    public String llmId() {
      return "llm-a";
    }

    @Override
    public SignalKind signalKind() {
      return SignalKind.ANSWER_LOG_LIKELIHOOD;
    }

    @Override
    public double score(String question, String passage, String answer) {
      asked.add(passage);
      return Double.parseDouble(passage.substring("score ".length()));
    }
  }

  static final Map<String, String> TEXTS = Map.of("a", "score 0.0", "b", "score -1.0", "c", "score -0.5", "d", "score -3.0");
  /** The traffic: the serving model retrieved a and b, and the LLM scored those two. */
  static final RetrievalMetrics.Judged TRAFFIC = new RetrievalMetrics.Judged("q1", "qa", "question", Set.of(), List.of("answer"),
      Map.of("a", 0.0, "b", -1.0));

  @Test
  void a_candidate_is_judged_on_the_passages_it_brings_not_on_zeros() {
    TextScorer llm = new TextScorer();
    LlmJudge judge = new LlmJudge(llm, 100, 100);
    List<List<String>> serving = List.of(List.of("a", "b"));
    List<List<String>> candidate = List.of(List.of("c", "a"));

    LlmJudge.Filled filled = judge.fill(List.of(TRAFFIC), List.of(serving, candidate), TEXTS, 2, q -> true);

    assertThat(llm.asked).containsExactly("score -0.5");
    assertThat(filled.spent()).isEqualTo(new LlmJudge.Spent(1, 0, 0));
    RetrievalMetrics.Judged q = filled.queries().get(0);
    assertThat(q.teacherScores()).containsOnlyKeys("a", "b", "c");
    // Over the pool {a: 0, b: -1, c: -0.5}: serving holds e^0 + e^-1, the candidate e^-0.5 + e^0, of e^0 + e^-1 + e^-0.5.
    double z = 1 + Math.exp(-1) + Math.exp(-0.5);
    assertThat(RetrievalMetrics.llmUtility(serving.get(0), q.teacherScores(), 2)).isCloseTo((1 + Math.exp(-1)) / z, within(1e-9));
    assertThat(RetrievalMetrics.llmUtility(candidate.get(0), q.teacherScores(), 2)).isCloseTo((1 + Math.exp(-0.5)) / z, within(1e-9));
    // Unfilled, the candidate's c would have counted 0: 1 / (1 + e^-1) = 0.731 against the serving model's 1.0.
    assertThat(RetrievalMetrics.llmUtility(candidate.get(0), TRAFFIC.teacherScores(), 2)).isLessThan(0.75);
  }

  @Test
  void repeats_come_from_the_cache_and_the_budget_caps_new_scores() {
    TextScorer llm = new TextScorer();
    LlmJudge judge = new LlmJudge(llm, 1, 100);
    List<List<List<String>>> rankings = List.of(List.of(List.of("c", "d")));

    assertThat(judge.fill(List.of(TRAFFIC), rankings, TEXTS, 2, q -> true).spent()).isEqualTo(new LlmJudge.Spent(1, 0, 1));
    assertThat(judge.fill(List.of(TRAFFIC), rankings, TEXTS, 2, q -> true).spent()).isEqualTo(new LlmJudge.Spent(1, 1, 0));
    assertThat(llm.asked).containsExactly("score -0.5", "score -3.0");
  }

  @Test
  void nothing_is_scored_for_traffic_from_another_llm_without_an_answer_or_without_a_scorer() {
    TextScorer llm = new TextScorer();
    List<List<List<String>>> rankings = List.of(List.of(List.of("c")));
    RetrievalMetrics.Judged noAnswer = new RetrievalMetrics.Judged("q2", "qa", "question", Set.of(), List.of(), Map.of("a", 0.0));

    assertThat(new LlmJudge(llm, 10, 10).fill(List.of(TRAFFIC), rankings, TEXTS, 1, q -> false).spent().unscored()).isEqualTo(1);
    assertThat(new LlmJudge(llm, 10, 10).fill(List.of(noAnswer), rankings, TEXTS, 1, q -> true).spent().unscored()).isEqualTo(1);
    assertThat(LlmJudge.none().fill(List.of(TRAFFIC), rankings, TEXTS, 1, q -> true).spent()).isEqualTo(new LlmJudge.Spent(0, 0, 1));
    assertThat(llm.asked).isEmpty();
  }
}

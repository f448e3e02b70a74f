package dev.attune.trainers.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {
  @Test
  void llm_utility_is_the_teacher_mass_the_top_k_holds() {
    // Scores ln 1, ln 3, ln 6 → teacher softmax (0.1, 0.3, 0.6); top 2 = (c, unscored x) holds 0.6.
    Map<String, Double> teacher = Map.of("a", 0.0, "b", Math.log(3), "c", Math.log(6));

    assertThat(RetrievalMetrics.llmUtility(List.of("c", "x", "a"), teacher, 2)).isCloseTo(0.6, within(1e-9));
    assertThat(RetrievalMetrics.llmUtility(List.of("c", "b", "a"), teacher, 5)).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void evaluate_reports_utility_only_over_queries_with_teacher_scores() {
    var scored = new RetrievalMetrics.Judged("q1", "qa", "q", Set.of("a"), List.of(), Map.of("a", 0.0, "b", 0.0));
    var unscored = new RetrievalMetrics.Judged("q2", "q", Set.of("a"), List.of());

    Map<String, Double> m = RetrievalMetrics.evaluate(List.of(scored, unscored), List.of(List.of("a"), List.of("a")), Map.of("a", "text"));

    assertThat(m.get(RetrievalMetrics.LLM_UTILITY_5)).isCloseTo(0.5, within(1e-9));
    assertThat(m.get(RetrievalMetrics.NDCG_10)).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void labelled_measures_average_over_labelled_queries_and_coverage_is_reported() {
    var labelled = new RetrievalMetrics.Judged("q1", "qa", "q", Set.of("a"), List.of(), Map.of("a", 0.0));
    var llmOnly = new RetrievalMetrics.Judged("q2", "qa", "q", Set.of(), List.of(), Map.of("b", 0.0));

    Map<String, Double> m = RetrievalMetrics.evaluate(List.of(labelled, llmOnly), List.of(List.of("a", "x"), List.of("x", "b")), Map.of());

    assertThat(m.get(RetrievalMetrics.NDCG_10)).as("q2 has no label: it neither counts 0 nor dilutes").isCloseTo(1.0, within(1e-9));
    assertThat(m.get(RetrievalMetrics.LABELLED)).isEqualTo(1.0);
    assertThat(m.get(RetrievalMetrics.LLM_JUDGED)).isEqualTo(2.0);
    // Each query's top 2 holds one scored passage of two.
    assertThat(m.get(RetrievalMetrics.LLM_SCORED_5)).isCloseTo(0.5, within(1e-9));
  }
}

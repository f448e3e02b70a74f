package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetrieverPromotionTest {
  static final RetrieverPromotion POLICY = new RetrieverPromotion(0.0, 0.01, 30);

  /** Held-out traffic (100 labelled, 100 LLM-judged queries) and a 60-query reference set. */
  static Map<String, Double> metrics(double utility, double heldOutNdcg, double referenceNdcg) {
    Map<String, Double> m = new HashMap<>();
    m.put("heldout.llm_utility@5", utility);
    m.put("heldout.llm_scored@5", 1.0);
    m.put("heldout.llm_judged", 100.0);
    m.put("heldout.labelled", 100.0);
    m.put("heldout.recall@5", 0.9);
    m.put("heldout.ndcg@10", heldOutNdcg);
    m.put("heldout.answer_recall@5", 0.95);
    m.put("reference.labelled", 60.0);
    m.put("reference.recall@5", 0.9);
    m.put("reference.ndcg@10", referenceNdcg);
    m.put("reference.answer_recall@5", 0.95);
    return m;
  }

  @Test
  void the_llm_utility_decides_and_the_human_labels_guard() {
    PromotionPolicy.Verdict v = POLICY.decide(metrics(0.62, 0.80, 0.83), metrics(0.65, 0.795, 0.85));

    assertThat(v.promote()).isTrue();
    assertThat(v.reason()).startsWith("held-out LLM utility@5 0.6500 vs serving 0.6200 (margin +0.0000; 100 queries, top 5 LLM-scored 100% / 100%)")
        .contains("held-out human labels (100 queries): recall@5 0.9000 vs 0.9000 ndcg@10 0.7950 vs 0.8000")
        .contains("reference set: recall@5 0.9000 vs 0.9000 ndcg@10 0.8500 vs 0.8300");
  }

  @Test
  void a_candidate_that_lifts_the_human_measures_but_not_what_the_llm_uses_is_rejected() {
    // The finding: nDCG rose (0.823 -> 0.869) while held-out LLM utility@5 fell (0.623 -> 0.608).
    PromotionPolicy.Verdict v = POLICY.decide(metrics(0.623, 0.823, 0.831), metrics(0.608, 0.869, 0.875));

    assertThat(v.promote()).isFalse();
    assertThat(v.reason()).contains("held-out LLM utility@5 0.6080 vs serving 0.6230");
  }

  @Test
  void a_human_labelled_drop_beyond_the_tolerance_vetoes_a_utility_gain() {
    PromotionPolicy.Verdict v = POLICY.decide(metrics(0.62, 0.80, 0.83), metrics(0.70, 0.80, 0.81));

    assertThat(v.promote()).isFalse();
    assertThat(v.reason()).contains("reference set: recall@5 0.9000 vs 0.9000 ndcg@10 0.8100 vs 0.8300 (drop beyond tolerance 0.0100)");
  }

  @Test
  void a_small_labelled_slice_is_pooled_with_the_reference_set_by_query_count() {
    // 7 labelled traffic queries say worse (0.78 vs 0.81), 60 reference queries say better (0.85 vs 0.83):
    // pooled (0.78·7 + 0.85·60) / 67 = 0.8427 vs (0.81·7 + 0.83·60) / 67 = 0.8279, within tolerance.
    Map<String, Double> serving = metrics(0.60, 0.81, 0.83);
    Map<String, Double> candidate = metrics(0.61, 0.78, 0.85);
    serving.put("heldout.labelled", 7.0);
    candidate.put("heldout.labelled", 7.0);

    PromotionPolicy.Verdict v = POLICY.decide(serving, candidate);

    assertThat(v.promote()).isTrue();
    assertThat(v.reason()).contains("human labels, held-out traffic (7 queries, < 30) pooled with the reference set (60): recall@5 0.9000 vs 0.9000 ndcg@10 0.8427 vs 0.8279");
    assertThat(new RetrieverPromotion(0.0, 0.01, 5).decide(serving, candidate).promote())
        .as("7 labelled queries are enough at minHeldOut 5: the traffic's 0.03 drop vetoes alone").isFalse();
  }

  @Test
  void without_llm_scored_traffic_held_out_ndcg_decides() {
    Map<String, Double> serving = metrics(0, 0.80, 0.83);
    Map<String, Double> candidate = metrics(0, 0.79, 0.83);
    serving.remove("heldout.llm_utility@5");
    candidate.remove("heldout.llm_utility@5");

    PromotionPolicy.Verdict v = POLICY.decide(serving, candidate);

    assertThat(v.promote()).isFalse();
    assertThat(v.reason()).startsWith("no LLM-scored held-out traffic: held-out ndcg@10 0.7900 vs serving 0.8000");
  }
}

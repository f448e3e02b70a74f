package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bridge's gate: one held-out measure, reference measures within a tolerance. */
class PromotionPolicyTest {
  static final PromotionPolicy POLICY = new PromotionPolicy("ndcg@10", 0.01, 0.02);

  static Map<String, Double> metrics(double heldOut, double referenceNdcg, double referenceAnswers) {
    return Map.of("heldout.ndcg@10", heldOut, "reference.ndcg@10", referenceNdcg, "reference.answer_recall@5", referenceAnswers);
  }

  @Test
  void promotes_a_candidate_that_beats_the_margin_without_reference_regression() {
    PromotionPolicy.Verdict v = POLICY.decide(metrics(0.80, 0.70, 0.90), metrics(0.82, 0.69, 0.90));

    assertThat(v.promote()).isTrue();
    assertThat(v.reason()).contains("held-out ndcg@10 0.8200 vs serving 0.8000").contains("reference ndcg@10 0.6900 vs 0.7000");
  }

  @Test
  void rejects_a_gain_below_the_margin() {
    assertThat(POLICY.decide(metrics(0.80, 0.70, 0.90), metrics(0.805, 0.75, 0.95)).promote()).isFalse();
  }

  @Test
  void rejects_a_held_out_winner_that_regresses_the_reference_set() {
    PromotionPolicy.Verdict v = POLICY.decide(metrics(0.80, 0.70, 0.90), metrics(0.90, 0.70, 0.87));

    assertThat(v.promote()).isFalse();
    assertThat(v.reason()).contains("answer_recall@5 0.8700 vs 0.9000 (drop beyond tolerance 0.0200)");
  }
}

package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

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

  @Test
  void pools_a_small_held_out_slice_with_the_reference_set_by_query_count() {
    PromotionPolicy policy = new PromotionPolicy("ndcg@10", 0.0, 0.02, 30);
    // 7 traffic queries say worse (0.78 vs 0.81), 60 reference queries say better (0.85 vs 0.83):
    // pooled (0.78·7 + 0.85·60) / 67 = 0.8427 vs (0.81·7 + 0.83·60) / 67 = 0.8279.
    var serving = Map.of("heldout.ndcg@10", 0.81, "heldout.queries", 7.0, "reference.ndcg@10", 0.83, "reference.queries", 60.0);
    var candidate = Map.of("heldout.ndcg@10", 0.78, "heldout.queries", 7.0, "reference.ndcg@10", 0.85, "reference.queries", 60.0);

    PromotionPolicy.Verdict v = policy.decide(serving, candidate);

    assertThat(v.promote()).isTrue();
    assertThat(v.reason()).contains("held-out traffic (7 queries, < 30) pooled with the reference set (60): ndcg@10 0.8427 vs serving 0.8279");
    assertThat(new PromotionPolicy("ndcg@10", 0.0, 0.02, 5).decide(serving, candidate).promote())
        .as("7 queries are enough at minHeldOut 5: traffic alone decides").isFalse();
  }
}

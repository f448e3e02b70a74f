package dev.attune.trainers.train;

import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * When a retriever candidate replaces the serving model, on the figures {@link CandidateEvaluator}
 * writes for both:
 *
 * <ol>
 *   <li>What the product promises decides: on held-out traffic the candidate's LLM utility@5, judged
 *       over the same scored pool as the serving model's, must reach the serving model's plus {@code
 *       margin} (0: must not fall).
 *   <li>The human labels guard it: recall@5, nDCG@10 and answer recall@5 on the held-out traffic's
 *       human labels, and on the reference set, may each drop by at most {@code tolerance}. A
 *       traffic slice with fewer than {@code minHeldOut} labelled queries is pooled with the
 *       reference set, weighted by query count (a handful of queries swings nDCG by points).
 *   <li>Traffic without LLM scores (human labels only): held-out nDCG@10, pooled as above, must
 *       reach the serving model's plus {@code margin} instead.
 * </ol>
 *
 * @param margin required gain of the deciding measure (negative tolerates a loss, for tests)
 * @param tolerance largest drop allowed on any human-labelled measure
 * @param minHeldOut labelled held-out traffic queries below which the reference set is pooled in (0: never)
 */
public record RetrieverPromotion(double margin, double tolerance, int minHeldOut) {
  static final List<String> HUMAN_MEASURES = List.of(RetrievalMetrics.RECALL_5, RetrievalMetrics.NDCG_10, RetrievalMetrics.ANSWER_RECALL_5);
  private static final String H = CandidateEvaluator.HELD_OUT;
  private static final String R = CandidateEvaluator.REFERENCE;

  public RetrieverPromotion {
    if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance (" + tolerance + ") must be >= 0");
    if (minHeldOut < 0) throw new IllegalArgumentException("minHeldOut (" + minHeldOut + ") must be >= 0");
  }

  /** Utility must not fall; human-labelled measures may drop by 0.01; under 30 labelled traffic queries the reference set is pooled in. */
  public static RetrieverPromotion defaults() {
    return new RetrieverPromotion(0.0, 0.01, 30);
  }

  public PromotionPolicy.Verdict decide(Map<String, Double> serving, Map<String, Double> candidate) {
    double labelled = candidate.getOrDefault(H + RetrievalMetrics.LABELLED, 0.0);
    double reference = candidate.getOrDefault(R + RetrievalMetrics.LABELLED, 0.0);
    boolean pooled = labelled < minHeldOut && reference > 0;
    StringBuilder reason = new StringBuilder();
    boolean promote;
    Double cu = candidate.get(H + RetrievalMetrics.LLM_UTILITY_5);
    Double su = serving.get(H + RetrievalMetrics.LLM_UTILITY_5);
    if (cu != null && su != null) {
      promote = cu >= su + margin;
      reason.append(String.format(Locale.ROOT, "held-out LLM utility@5 %.4f vs serving %.4f (margin %+.4f; %d queries, top 5 LLM-scored %.0f%% / %.0f%%)",
          cu, su, margin, Math.round(candidate.getOrDefault(H + RetrievalMetrics.LLM_JUDGED, 0.0)),
          100 * candidate.getOrDefault(H + RetrievalMetrics.LLM_SCORED_5, 0.0), 100 * serving.getOrDefault(H + RetrievalMetrics.LLM_SCORED_5, 0.0)));
    } else {
      double c = human(candidate, RetrievalMetrics.NDCG_10, pooled, labelled, reference);
      double s = human(serving, RetrievalMetrics.NDCG_10, pooled, labelled, reference);
      promote = c >= s + margin;
      reason.append(String.format(Locale.ROOT, "no LLM-scored held-out traffic: held-out ndcg@10 %.4f vs serving %.4f (margin %+.4f)", c, s, margin));
    }
    reason.append(pooled
        ? String.format(Locale.ROOT, "; human labels, held-out traffic (%d queries, < %d) pooled with the reference set (%d):", Math.round(labelled), minHeldOut,
            Math.round(reference))
        : String.format(Locale.ROOT, "; held-out human labels (%d queries):", Math.round(labelled)));
    for (String m : HUMAN_MEASURES) {
      if (!candidate.containsKey(H + m) || labelled == 0 && !pooled) continue;
      promote &= guard(reason, m, human(candidate, m, pooled, labelled, reference), human(serving, m, pooled, labelled, reference));
    }
    if (reference > 0) {
      reason.append("; reference set:");
      for (String m : HUMAN_MEASURES) {
        Double mc = candidate.get(R + m);
        Double ms = serving.get(R + m);
        if (mc != null && ms != null) promote &= guard(reason, m, mc, ms);
      }
    }
    return new PromotionPolicy.Verdict(promote, reason.toString());
  }

  /** Appends one comparison; false when the candidate drops beyond the tolerance. */
  private boolean guard(StringBuilder reason, String measure, double candidate, double serving) {
    reason.append(String.format(Locale.ROOT, " %s %.4f vs %.4f", measure, candidate, serving));
    if (candidate >= serving - tolerance) return true;
    reason.append(String.format(Locale.ROOT, " (drop beyond tolerance %.4f)", tolerance));
    return false;
  }

  /** The held-out human-labelled figure, pooled with the reference set's by query count when the slice is small. */
  private static double human(Map<String, Double> m, String measure, boolean pooled, double labelled, double reference) {
    double heldOut = m.getOrDefault(H + measure, 0.0);
    if (!pooled) return heldOut;
    return (heldOut * labelled + m.getOrDefault(R + measure, 0.0) * reference) / (labelled + reference);
  }
}

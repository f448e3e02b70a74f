package dev.attune.trainers.train;

import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * When a candidate replaces the serving retriever: its held-out traffic {@code metric} must beat the
 * serving model's by at least {@code margin}, and none of the reference set's metrics may drop by
 * more than {@code referenceTolerance}. Metric maps use the keys {@link CandidateEvaluator} writes
 * ({@code heldout.ndcg@10}, {@code reference.answer_recall@5}, ...).
 *
 * @param metric held-out metric that must improve, e.g. {@code ndcg@10}
 * @param margin required gain (0 = must not regress; negative tolerates a loss, for tests)
 * @param referenceTolerance largest drop allowed on any reference metric
 */
public record PromotionPolicy(String metric, double margin, double referenceTolerance) {
  static final List<String> REFERENCE_METRICS =
      List.of(RetrievalMetrics.RECALL_5, RetrievalMetrics.NDCG_10, RetrievalMetrics.ANSWER_RECALL_5);

  public PromotionPolicy {
    if (!(referenceTolerance >= 0)) throw new IllegalArgumentException("referenceTolerance (" + referenceTolerance + ") must be >= 0");
  }

  public static PromotionPolicy defaults() {
    return new PromotionPolicy(RetrievalMetrics.NDCG_10, 0.0, 0.01);
  }

  /** The decision and the figures behind it. */
  public record Verdict(boolean promote, String reason) {}

  public Verdict decide(Map<String, Double> serving, Map<String, Double> candidate) {
    String key = CandidateEvaluator.HELD_OUT + metric;
    Double c = candidate.get(key);
    Double s = serving.get(key);
    if (c == null || s == null) throw new IllegalArgumentException("no held-out " + metric + " in " + candidate.keySet());
    StringBuilder reason = new StringBuilder(String.format(Locale.ROOT, "held-out %s %.4f vs serving %.4f (margin %+.4f)", metric, c, s, margin));
    boolean promote = c >= s + margin;
    for (String m : REFERENCE_METRICS) {
      Double rc = candidate.get(CandidateEvaluator.REFERENCE + m);
      Double rs = serving.get(CandidateEvaluator.REFERENCE + m);
      if (rc == null || rs == null) continue;
      reason.append(String.format(Locale.ROOT, "; reference %s %.4f vs %.4f", m, rc, rs));
      if (rc < rs - referenceTolerance) {
        promote = false;
        reason.append(String.format(Locale.ROOT, " (drop beyond tolerance %.4f)", referenceTolerance));
      }
    }
    return new Verdict(promote, reason.toString());
  }
}

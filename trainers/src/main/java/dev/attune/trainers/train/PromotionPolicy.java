package dev.attune.trainers.train;

import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * When a candidate replaces the serving model: its held-out {@code metric} must beat the serving
 * model's by at least {@code margin}, and none of the reference set's metrics may drop by more than
 * {@code referenceTolerance}. Metric maps use the keys {@link CandidateEvaluator} writes ({@code
 * heldout.ndcg@10}, {@code reference.answer_recall@5}, {@code heldout.queries}, ...).
 *
 * <p>A held-out traffic slice of fewer than {@code minHeldOut} queries is too small to decide alone:
 * a handful of queries swings nDCG by several points either way. The comparison then pools it with
 * the reference set, weighting each by its query count (both were never trained on); the reason says
 * so. As traffic grows, its own slice decides.
 *
 * @param metric held-out metric that must improve, e.g. {@code ndcg@10}
 * @param margin required gain (0 = must not regress; negative tolerates a loss, for tests)
 * @param referenceTolerance largest drop allowed on any reference metric
 * @param minHeldOut held-out traffic queries below which the reference set is pooled in (0: never)
 */
public record PromotionPolicy(String metric, double margin, double referenceTolerance, int minHeldOut) {
  static final String QUERIES = "queries";
  static final List<String> REFERENCE_METRICS =
      List.of(RetrievalMetrics.RECALL_5, RetrievalMetrics.NDCG_10, RetrievalMetrics.ANSWER_RECALL_5);

  public PromotionPolicy {
    if (!(referenceTolerance >= 0)) throw new IllegalArgumentException("referenceTolerance (" + referenceTolerance + ") must be >= 0");
    if (minHeldOut < 0) throw new IllegalArgumentException("minHeldOut (" + minHeldOut + ") must be >= 0");
  }

  /** Decides on held-out traffic alone, whatever its size. */
  public PromotionPolicy(String metric, double margin, double referenceTolerance) {
    this(metric, margin, referenceTolerance, 0);
  }

  /** nDCG@10 must not regress; reference drops up to 0.01; fewer than 30 held-out queries pool the reference set in. */
  public static PromotionPolicy defaults() {
    return new PromotionPolicy(RetrievalMetrics.NDCG_10, 0.0, 0.01, 30);
  }

  /** The decision and the figures behind it. */
  public record Verdict(boolean promote, String reason) {}

  public Verdict decide(Map<String, Double> serving, Map<String, Double> candidate) {
    String key = CandidateEvaluator.HELD_OUT + metric;
    Double c = candidate.get(key);
    Double s = serving.get(key);
    if (c == null || s == null) throw new IllegalArgumentException("no held-out " + metric + " in " + candidate.keySet());
    double heldOut = candidate.getOrDefault(CandidateEvaluator.HELD_OUT + QUERIES, 0.0);
    double reference = candidate.getOrDefault(CandidateEvaluator.REFERENCE + QUERIES, 0.0);
    Double rc = candidate.get(CandidateEvaluator.REFERENCE + metric);
    Double rs = serving.get(CandidateEvaluator.REFERENCE + metric);
    StringBuilder reason;
    if (heldOut < minHeldOut && reference > 0 && rc != null && rs != null) {
      c = (c * heldOut + rc * reference) / (heldOut + reference);
      s = (s * heldOut + rs * reference) / (heldOut + reference);
      reason = new StringBuilder(String.format(Locale.ROOT, "held-out traffic (%d queries, < %d) pooled with the reference set (%d): %s %.4f vs serving %.4f (margin %+.4f)",
          Math.round(heldOut), minHeldOut, Math.round(reference), metric, c, s, margin));
    } else {
      reason = new StringBuilder(String.format(Locale.ROOT, "held-out %s %.4f vs serving %.4f (margin %+.4f)", metric, c, s, margin));
    }
    boolean promote = c >= s + margin;
    for (String m : REFERENCE_METRICS) {
      Double mc = candidate.get(CandidateEvaluator.REFERENCE + m);
      Double ms = serving.get(CandidateEvaluator.REFERENCE + m);
      if (mc == null || ms == null) continue;
      reason.append(String.format(Locale.ROOT, "; reference %s %.4f vs %.4f", m, mc, ms));
      if (mc < ms - referenceTolerance) {
        promote = false;
        reason.append(String.format(Locale.ROOT, " (drop beyond tolerance %.4f)", referenceTolerance));
      }
    }
    return new Verdict(promote, reason.toString());
  }
}

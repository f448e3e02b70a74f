package dev.attune.trainers.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A plain gate on one held-out measure (the bridge's): the candidate's held-out {@code metric}
 * must reach the serving model's plus {@code margin}, and none of the reference set's {@link
 * #REFERENCE_METRICS} present may drop by more than {@code referenceTolerance}. Metric maps use
 * {@code heldout.}- and {@code reference.}-prefixed keys. The retriever's gate is {@link
 * RetrieverPromotion}.
 *
 * @param metric held-out metric that must improve, e.g. {@code utility}
 * @param margin required gain (0 = must not regress; negative tolerates a loss, for tests)
 * @param referenceTolerance largest drop allowed on any reference metric
 */
public record PromotionPolicy(String metric, double margin, double referenceTolerance) {
  static final List<String> REFERENCE_METRICS = RetrieverPromotion.HUMAN_MEASURES;

  public PromotionPolicy {
    if (!(referenceTolerance >= 0)) throw new IllegalArgumentException("referenceTolerance (" + referenceTolerance + ") must be >= 0");
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

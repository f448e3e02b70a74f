package dev.attune.streams.mining.rules;

import dev.attune.schemas.SignalKind;
import dev.attune.schemas.Limits;
import java.io.Serializable;
import java.util.List;

/**
 * Mining rules: which signal teaches, AAR positives, hard negatives, silver sequences, teacher
 * aggregation and statistics windows.
 *
 * @param positivesTopK how many of the LLM's best-scored passages become positives (AAR used 2 of 10)
 * @param signalPriority signal kinds in order of preference; an episode's teacher is the feedback of
 *     the first kind it has (kinds are never mixed: their scales differ)
 * @param negatives hard-negative rules
 * @param silver utility model of the BGM silver-sequence search
 * @param teacherTemperature temperature of the teacher distributions' softmax
 * @param teacherWindowMs how long teacher scores of one (task, query, LLM) are aggregated before the
 *     distribution is emitted
 * @param statsWindowMs length of a preference-statistics window
 * @param passageWaitMs how long an episode waits for passages the corpus does not hold yet
 * @param dedupeRetentionMs how long a mined request id is remembered, so a duplicated episode yields
 *     no second example
 * @param maxTeacherEntropy an episode whose teacher distribution (softmax of the scores at {@code
 *     teacherTemperature}) has a normalised entropy (0 = one passage, 1 = flat) at or above this
 *     says nothing about which passage helped: it makes no LLM positive (an unanswerable question
 *     scores every passage alike)
 * @param limits size limits: episodes over {@code maxRecordBytes}, and examples or teacher windows
 *     that would grow past it, are dead-lettered {@code OVERSIZED} or emitted early
 */
public record MiningConfig(
    int positivesTopK,
    List<SignalKind> signalPriority,
    NegativeRules negatives,
    SilverSearchConfig silver,
    double teacherTemperature,
    long teacherWindowMs,
    long statsWindowMs,
    long passageWaitMs,
    long dedupeRetentionMs,
    double maxTeacherEntropy,
    Limits limits)
    implements Serializable {
  /**
   * Default {@code maxTeacherEntropy}: above every answerable question's episode and below nearly
   * every unanswerable one's, as measured in streams/README ("Signals that say nothing").
   */
  public static final double MAX_TEACHER_ENTROPY = 0.99;

  public MiningConfig {
    if (positivesTopK < 0) throw new IllegalArgumentException("positivesTopK (" + positivesTopK + ") must be >= 0");
    signalPriority = List.copyOf(signalPriority);
    if (signalPriority.isEmpty() || signalPriority.contains(SignalKind.UNKNOWN)) {
      throw new IllegalArgumentException("signalPriority " + signalPriority + " must name known kinds");
    }
    if (!(teacherTemperature > 0)) throw new IllegalArgumentException("teacherTemperature (" + teacherTemperature + ") must be > 0");
    if (teacherWindowMs < 1) throw new IllegalArgumentException("teacherWindowMs (" + teacherWindowMs + ") must be >= 1");
    if (statsWindowMs < 1) throw new IllegalArgumentException("statsWindowMs (" + statsWindowMs + ") must be >= 1");
    if (passageWaitMs < 0) throw new IllegalArgumentException("passageWaitMs (" + passageWaitMs + ") must be >= 0");
    if (!(maxTeacherEntropy > 0 && maxTeacherEntropy <= 1)) {
      throw new IllegalArgumentException("maxTeacherEntropy (" + maxTeacherEntropy + ") must be in (0, 1]");
    }
    java.util.Objects.requireNonNull(limits, "limits");
    if (dedupeRetentionMs < 1) throw new IllegalArgumentException("dedupeRetentionMs (" + dedupeRetentionMs + ") must be >= 1");
  }

  public static MiningConfig defaults() {
    return new MiningConfig(
        2,
        List.of(SignalKind.ANSWER_LOG_LIKELIHOOD, SignalKind.DOWNSTREAM_REWARD, SignalKind.CROSS_ATTENTION),
        NegativeRules.defaults(),
        SilverSearchConfig.defaults(),
        1.0,
        60_000,
        60_000,
        30_000,
        7L * 24 * 3600 * 1000,
        MAX_TEACHER_ENTROPY,
        Limits.defaults());
  }

  public MiningConfig withNegatives(NegativeRules newNegatives) {
    return new MiningConfig(positivesTopK, signalPriority, newNegatives, silver, teacherTemperature, teacherWindowMs,
        statsWindowMs, passageWaitMs, dedupeRetentionMs, maxTeacherEntropy, limits);
  }

  public MiningConfig withWindows(long newTeacherWindowMs, long newStatsWindowMs) {
    return new MiningConfig(positivesTopK, signalPriority, negatives, silver, teacherTemperature, newTeacherWindowMs,
        newStatsWindowMs, passageWaitMs, dedupeRetentionMs, maxTeacherEntropy, limits);
  }

  public MiningConfig withPassageWaitMs(long newPassageWaitMs) {
    return new MiningConfig(positivesTopK, signalPriority, negatives, silver, teacherTemperature, teacherWindowMs,
        statsWindowMs, newPassageWaitMs, dedupeRetentionMs, maxTeacherEntropy, limits);
  }

  public MiningConfig withMaxTeacherEntropy(double newMaxTeacherEntropy) {
    return new MiningConfig(positivesTopK, signalPriority, negatives, silver, teacherTemperature, teacherWindowMs,
        statsWindowMs, passageWaitMs, dedupeRetentionMs, newMaxTeacherEntropy, limits);
  }

  public MiningConfig withLimits(Limits newLimits) {
    return new MiningConfig(positivesTopK, signalPriority, negatives, silver, teacherTemperature, teacherWindowMs,
        statsWindowMs, passageWaitMs, dedupeRetentionMs, maxTeacherEntropy, newLimits);
  }
}

package dev.attune.schemas;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Contract checks that Avro's types cannot express (non-empty lists, positive ranks, finite scores).
 * Each method returns the violation with its reason code, or empty when the event is valid.
 */
public final class EventValidator {
  private EventValidator() {}

  public static Optional<Violation> validate(QueryEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (isBlank(e.getQuery())) return blankField("query");
    if (isBlank(e.getTask())) return blankField("task");
    return Optional.empty();
  }

  public static Optional<Violation> validate(RetrievalEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (e.getCandidates().isEmpty()) return violation(DeadLetterReason.EMPTY_LIST, "candidates is empty");
    Set<String> seen = new HashSet<>();
    for (RankedPassage p : e.getCandidates()) {
      if (isBlank(p.getPassageId())) return blankField("a candidate's passageId");
      if (p.getRank() < 1) {
        return violation(DeadLetterReason.INVALID_RANK, "rank (" + p.getRank() + ") of " + p.getPassageId() + " is below 1");
      }
      if (!Float.isFinite(p.getScore())) {
        return nonFinite("score (" + p.getScore() + ") of " + p.getPassageId());
      }
      if (!seen.add(p.getPassageId())) {
        return violation(DeadLetterReason.DUPLICATE_PASSAGE, "passage " + p.getPassageId() + " is listed twice");
      }
    }
    return Optional.empty();
  }

  public static Optional<Violation> validate(LlmFeedbackEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (isBlank(e.getLlmId())) return blankField("llmId");
    if (e.getSignalKind() == SignalKind.UNKNOWN) {
      return violation(DeadLetterReason.UNKNOWN_SIGNAL, "signalKind is not one this reader knows");
    }
    if (e.getPassageScores().isEmpty()) return violation(DeadLetterReason.EMPTY_LIST, "passageScores is empty");
    for (PassageScore s : e.getPassageScores()) {
      if (isBlank(s.getPassageId())) return blankField("a score's passageId");
      if (!Double.isFinite(s.getScore())) return nonFinite("score (" + s.getScore() + ") of " + s.getPassageId());
    }
    if (e.getSequenceReward() != null && !Double.isFinite(e.getSequenceReward())) {
      return nonFinite("sequenceReward (" + e.getSequenceReward() + ")");
    }
    return Optional.empty();
  }

  public static Optional<Violation> validate(HumanFeedbackEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (e.getRelevantPassageIds().stream().anyMatch(EventValidator::isBlank)) return blankField("an id in relevantPassageIds");
    return Optional.empty();
  }

  public static Optional<Violation> validate(PassageEvent e) {
    if (isBlank(e.getPassageId())) return blankField("passageId");
    if (e.getOp() == PassageOp.UPSERT && isBlank(e.getText())) {
      return violation(DeadLetterReason.BLANK_FIELD, "UPSERT of " + e.getPassageId() + " has no text");
    }
    return Optional.empty();
  }

  private static Optional<Violation> violation(String reason, String detail) {
    return Optional.of(new Violation(reason, detail));
  }

  private static Optional<Violation> blankField(String field) {
    return violation(DeadLetterReason.BLANK_FIELD, field + " is blank");
  }

  private static Optional<Violation> nonFinite(String what) {
    return violation(DeadLetterReason.NON_FINITE_SCORE, what + " is not finite");
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}

package dev.attune.schemas;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Contract checks that Avro's types cannot express (non-empty lists, positive ranks, finite scores).
 * Each method returns the reason detail, or empty when the event is valid.
 */
public final class EventValidator {
  private EventValidator() {}

  public static Optional<String> validate(QueryEvent e) {
    if (blank(e.getRequestId())) return Optional.of("requestId is blank");
    if (blank(e.getQuery())) return Optional.of("query is blank");
    if (blank(e.getTask())) return Optional.of("task is blank");
    return Optional.empty();
  }

  public static Optional<String> validate(RetrievalEvent e) {
    if (blank(e.getRequestId())) return Optional.of("requestId is blank");
    if (e.getCandidates().isEmpty()) return Optional.of("candidates is empty");
    Set<String> seen = new HashSet<>();
    for (RankedPassage p : e.getCandidates()) {
      if (blank(p.getPassageId())) return Optional.of("a candidate has a blank passageId");
      if (p.getRank() < 1) {
        return Optional.of("rank (" + p.getRank() + ") of " + p.getPassageId() + " is below 1");
      }
      if (!Float.isFinite(p.getScore())) {
        return Optional.of("score (" + p.getScore() + ") of " + p.getPassageId() + " is not finite");
      }
      if (!seen.add(p.getPassageId())) {
        return Optional.of("passage " + p.getPassageId() + " is listed twice");
      }
    }
    return Optional.empty();
  }

  public static Optional<String> validate(LlmFeedbackEvent e) {
    if (blank(e.getRequestId())) return Optional.of("requestId is blank");
    if (blank(e.getLlmId())) return Optional.of("llmId is blank");
    if (e.getSignalKind() == SignalKind.UNKNOWN) return Optional.of("signalKind is UNKNOWN");
    if (e.getPassageScores().isEmpty()) return Optional.of("passageScores is empty");
    for (PassageScore s : e.getPassageScores()) {
      if (blank(s.getPassageId())) return Optional.of("a score has a blank passageId");
      if (!Double.isFinite(s.getScore())) {
        return Optional.of("score (" + s.getScore() + ") of " + s.getPassageId() + " is not finite");
      }
    }
    if (e.getSequenceReward() != null && !Double.isFinite(e.getSequenceReward())) {
      return Optional.of("sequenceReward (" + e.getSequenceReward() + ") is not finite");
    }
    return Optional.empty();
  }

  public static Optional<String> validate(HumanFeedbackEvent e) {
    if (blank(e.getRequestId())) return Optional.of("requestId is blank");
    if (e.getRelevantPassageIds().stream().anyMatch(EventValidator::blank)) {
      return Optional.of("relevantPassageIds holds a blank id");
    }
    return Optional.empty();
  }

  public static Optional<String> validate(PassageEvent e) {
    if (blank(e.getPassageId())) return Optional.of("passageId is blank");
    if (e.getOp() == PassageOp.UPSERT && blank(e.getText())) {
      return Optional.of("UPSERT of " + e.getPassageId() + " has no text");
    }
    return Optional.empty();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}

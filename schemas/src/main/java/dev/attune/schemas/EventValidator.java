package dev.attune.schemas;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Contract checks that Avro's types cannot express (non-empty lists, positive ranks, finite scores,
 * the {@link Limits}). Each method returns the violation with its reason code, or empty when the
 * event is valid. Every stage that takes events in (HTTP, assembler, miner, serving's corpus) checks
 * with the same validator, so an event one accepts is not rejected further down.
 */
public final class EventValidator {
  /** The validator of {@link Limits#defaults()}. */
  public static final EventValidator DEFAULTS = new EventValidator(Limits.defaults());

  private final Limits limits;

  public EventValidator(Limits limits) {
    this.limits = limits;
  }

  public Limits limits() {
    return limits;
  }

  public Optional<Violation> validate(QueryEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (isBlank(e.getQuery())) return blankField("query");
    if (isBlank(e.getTask())) return blankField("task");
    Optional<Violation> long_ = tooLong("query", e.getQuery(), limits.maxQueryChars());
    return long_.isPresent() ? long_ : tooLong("instruction", e.getInstruction(), limits.maxQueryChars());
  }

  public Optional<Violation> validate(RetrievalEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (e.getCandidates().isEmpty()) return violation(DeadLetterReason.EMPTY_LIST, "candidates is empty");
    Optional<Violation> many = tooMany("candidates", e.getCandidates());
    if (many.isPresent()) return many;
    Set<String> seen = new HashSet<>();
    for (RankedPassage p : e.getCandidates()) {
      Optional<Violation> bad = candidate(p.getPassageId(), p.getRank(), (double) p.getScore(), seen);
      if (bad.isPresent()) return bad;
    }
    return Optional.empty();
  }

  public Optional<Violation> validate(LlmFeedbackEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (isBlank(e.getLlmId())) return blankField("llmId");
    if (e.getSignalKind() == SignalKind.UNKNOWN) {
      return violation(DeadLetterReason.UNKNOWN_SIGNAL, "signalKind is not one this reader knows");
    }
    if (e.getPassageScores().isEmpty()) return violation(DeadLetterReason.EMPTY_LIST, "passageScores is empty");
    Optional<Violation> many = tooMany("passageScores", e.getPassageScores());
    if (many.isPresent()) return many;
    for (PassageScore s : e.getPassageScores()) {
      if (isBlank(s.getPassageId())) return blankField("a score's passageId");
      if (!Double.isFinite(s.getScore())) return nonFinite("score (" + s.getScore() + ") of " + s.getPassageId());
    }
    if (e.getSequenceReward() != null && !Double.isFinite(e.getSequenceReward())) {
      return nonFinite("sequenceReward (" + e.getSequenceReward() + ")");
    }
    return tooLong("answer", e.getAnswer(), limits.maxPassageChars());
  }

  public Optional<Violation> validate(HumanFeedbackEvent e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    Optional<Violation> many = tooMany("relevantPassageIds", e.getRelevantPassageIds());
    if (many.isEmpty()) many = tooMany("answers", e.getAnswers());
    if (many.isPresent()) return many;
    if (e.getRelevantPassageIds().stream().anyMatch(EventValidator::isBlank)) return blankField("an id in relevantPassageIds");
    if (e.getAnswers().stream().anyMatch(a -> a == null)) return violation(DeadLetterReason.BLANK_FIELD, "an answer is null");
    for (CharSequence answer : e.getAnswers()) {
      Optional<Violation> long_ = tooLong("an answer", answer.toString(), limits.maxPassageChars());
      if (long_.isPresent()) return long_;
    }
    return Optional.empty();
  }

  public Optional<Violation> validate(AnswerEvent e) {
    if (isBlank(e.getEventId())) return blankField("eventId");
    if (isBlank(e.getRequestId())) return blankField("requestId");
    if (isBlank(e.getAnswer())) return blankField("answer");
    return tooLong("answer", e.getAnswer(), limits.maxPassageChars());
  }

  public Optional<Violation> validate(PassageEvent e) {
    if (isBlank(e.getPassageId())) return blankField("passageId");
    if (e.getOp() == PassageOp.UPSERT && isBlank(e.getText())) {
      return violation(DeadLetterReason.BLANK_FIELD, "UPSERT of " + e.getPassageId() + " has no text");
    }
    Optional<Violation> long_ = tooLong("text of " + e.getPassageId(), e.getText(), limits.maxPassageChars());
    return long_.isPresent() ? long_ : tooLong("title of " + e.getPassageId(), e.getTitle(), limits.maxPassageChars());
  }

  /**
   * An episode as the miner reads it: the assembler's checks again (an episode may be written to the
   * topic by anything), plus that every part belongs to the episode's request.
   */
  public Optional<Violation> validate(FeedbackEpisode e) {
    if (isBlank(e.getRequestId())) return blankField("requestId");
    Optional<Violation> query = validate(e.getQuery());
    if (query.isPresent()) return query.map(v -> new Violation(v.reason(), "query: " + v.detail()));
    if (!e.getRequestId().equals(e.getQuery().getRequestId())) {
      return violation(DeadLetterReason.KEY_MISMATCH, "query is of request " + e.getQuery().getRequestId() + ", not " + e.getRequestId());
    }
    if (e.getCandidates().isEmpty()) return violation(DeadLetterReason.EMPTY_LIST, "episode has no candidates");
    Optional<Violation> many = tooMany("candidates", e.getCandidates());
    if (many.isEmpty()) many = tooMany("llmFeedback", e.getLlmFeedback());
    if (many.isPresent()) return many;
    Set<String> seen = new HashSet<>();
    for (EpisodeCandidate c : e.getCandidates()) {
      Optional<Violation> bad = candidate(c.getPassageId(), c.getRetrievalRank(),
          c.getRetrievalScore() == null ? null : (double) c.getRetrievalScore(), seen);
      if (bad.isPresent()) return bad;
    }
    for (LlmFeedbackEvent l : e.getLlmFeedback()) {
      Optional<Violation> bad = validate(l);
      if (bad.isPresent()) return bad.map(v -> new Violation(v.reason(), "LLM feedback " + l.getEventId() + ": " + v.detail()));
      if (!e.getRequestId().equals(l.getRequestId())) {
        return violation(DeadLetterReason.KEY_MISMATCH, "LLM feedback " + l.getEventId() + " is of request " + l.getRequestId());
      }
    }
    if (e.getRelevantPassageIds().stream().anyMatch(EventValidator::isBlank)) return blankField("an id in relevantPassageIds");
    return Optional.empty();
  }

  /** The key a record of {@code requestId} (or passage id) must carry; a missing key is named as such. */
  public static Optional<Violation> keyMatches(byte[] key, String id, String idName) {
    if (key == null) {
      return violation(DeadLetterReason.KEY_MISMATCH, "record has no key; records must be keyed by their " + idName + " (" + id + ")");
    }
    String text = new String(key, java.nio.charset.StandardCharsets.UTF_8);
    if (!text.equals(id)) {
      return violation(DeadLetterReason.KEY_MISMATCH, "record key (" + text + ") is not the " + idName + " (" + id + ")");
    }
    return Optional.empty();
  }

  private static Optional<Violation> candidate(String passageId, Integer rank, Double score, Set<String> seen) {
    if (isBlank(passageId)) return blankField("a candidate's passageId");
    if (rank != null && rank < 1) {
      return violation(DeadLetterReason.INVALID_RANK, "rank (" + rank + ") of " + passageId + " is below 1");
    }
    if (score != null && !Double.isFinite(score)) return nonFinite("score (" + score + ") of " + passageId);
    if (!seen.add(passageId)) {
      return violation(DeadLetterReason.DUPLICATE_PASSAGE, "passage " + passageId + " is listed twice");
    }
    return Optional.empty();
  }

  private Optional<Violation> tooMany(String field, Collection<?> list) {
    return list.size() > limits.maxListSize()
        ? violation(DeadLetterReason.OVERSIZED, field + " has " + list.size() + " elements, at most " + limits.maxListSize())
        : Optional.empty();
  }

  private static Optional<Violation> tooLong(String field, CharSequence text, int max) {
    return text != null && text.length() > max
        ? violation(DeadLetterReason.OVERSIZED, field + " has " + text.length() + " characters, at most " + max)
        : Optional.empty();
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

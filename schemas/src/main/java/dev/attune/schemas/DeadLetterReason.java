package dev.attune.schemas;

/**
 * Reason codes written to {@link DeadLetter#getReason()}, one per kind of bad input. Codes are
 * stable (alerts and dashboards key on them); details are free text with the offending values.
 */
public final class DeadLetterReason {
  // Bytes that are not a decodable event.
  public static final String NULL_PAYLOAD = "NULL_PAYLOAD";
  public static final String OVERSIZED = "OVERSIZED";
  public static final String BAD_HEADER = "BAD_HEADER";
  /** Single-object header with a schema fingerprint this reader does not know. */
  public static final String UNKNOWN_SCHEMA = "UNKNOWN_SCHEMA";
  public static final String TRUNCATED = "TRUNCATED";
  /** Right fingerprint, but the body does not decode as that schema (wrong types). */
  public static final String MALFORMED = "MALFORMED";

  // Decoded events that break a documented contract.
  /** A required string (requestId, query, passageId, ...) is blank. */
  public static final String BLANK_FIELD = "BLANK_FIELD";
  /** A list that must hold at least one element (candidates, passageScores) is empty. */
  public static final String EMPTY_LIST = "EMPTY_LIST";
  /** A retrieval rank below 1. */
  public static final String INVALID_RANK = "INVALID_RANK";
  /** A NaN or infinite score or reward. */
  public static final String NON_FINITE_SCORE = "NON_FINITE_SCORE";
  /** The same passage listed twice in one ranking. */
  public static final String DUPLICATE_PASSAGE = "DUPLICATE_PASSAGE";
  /** A signal kind this reader does not know (read as UNKNOWN). */
  public static final String UNKNOWN_SIGNAL = "UNKNOWN_SIGNAL";
  /** A key that does not match the record's requestId or passageId. */
  public static final String KEY_MISMATCH = "KEY_MISMATCH";

  // Events that are valid alone but cannot be used.
  /** The join window closed without the events an episode (or an answer to score) needs. */
  public static final String UNJOINABLE = "UNJOINABLE";
  /** The window closed with query, retrieval and human labels but no LLM feedback, and policy says drop. */
  public static final String NO_LLM_FEEDBACK = "NO_LLM_FEEDBACK";
  /** An event that arrived after its episode closed (or too old to open one), past the grace period. */
  public static final String LATE = "LATE";
  /** An event id (or episode) already seen, or a second query/retrieval for one request. */
  public static final String DUPLICATE = "DUPLICATE";
  /** The episode names passages the corpus does not hold. */
  public static final String UNKNOWN_PASSAGE = "UNKNOWN_PASSAGE";
  /** The episode gives the miner nothing to learn from (no positive left). */
  public static final String NO_PREFERENCE = "NO_PREFERENCE";

  /** The LLM endpoint failed, timed out or answered garbage on every attempt; the detail says how. */
  public static final String LLM_ENDPOINT_FAILED = "LLM_ENDPOINT_FAILED";

  private DeadLetterReason() {}
}

package dev.attune.schemas;

/** Reason codes written to {@link DeadLetter#getReason()}. Codes are stable; details are free text. */
public final class DeadLetterReason {
  public static final String NULL_PAYLOAD = "NULL_PAYLOAD";
  public static final String OVERSIZED = "OVERSIZED";
  public static final String BAD_HEADER = "BAD_HEADER";
  public static final String UNKNOWN_SCHEMA = "UNKNOWN_SCHEMA";
  public static final String TRUNCATED = "TRUNCATED";
  public static final String MALFORMED = "MALFORMED";
  /** Decoded, but a field breaks its documented contract (empty list, negative rank, NaN score). */
  public static final String INVALID_FIELD = "INVALID_FIELD";
  /** A key that does not match the record's requestId or passageId. */
  public static final String KEY_MISMATCH = "KEY_MISMATCH";
  /** The join window closed without the events an episode needs. */
  public static final String UNJOINABLE = "UNJOINABLE";
  /** A second event of a kind that an episode holds once (query, retrieval). */
  public static final String DUPLICATE = "DUPLICATE";
  /** The episode names passages the corpus does not hold. */
  public static final String UNKNOWN_PASSAGE = "UNKNOWN_PASSAGE";
  /** The episode gives the miner nothing to learn from (no positive, or no scored candidate). */
  public static final String NO_PREFERENCE = "NO_PREFERENCE";

  private DeadLetterReason() {}
}

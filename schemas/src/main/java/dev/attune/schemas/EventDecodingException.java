package dev.attune.schemas;

/** A payload that could not be turned into a valid event; carries the dead-letter reason code. */
public final class EventDecodingException extends RuntimeException {
  private final String reason;

  public EventDecodingException(String reason, String detail) {
    super(detail);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}

package dev.attune.schemas;

/** Why a decoded event breaks its contract: a {@link DeadLetterReason} code and a detail. */
public record Violation(String reason, String detail) {
  @Override
  public String toString() {
    return reason + ": " + detail;
  }
}

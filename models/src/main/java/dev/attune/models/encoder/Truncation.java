package dev.attune.models.encoder;

/**
 * How many tokens of a query and of a passage are embedded. Serving's is {@link #SERVING}: 8.5% of
 * SQuAD's passages exceed 256 tokens. The trainer evaluates and copies indexes at serving's, so its
 * figures and its copy of an index are what serving searches.
 */
public record Truncation(int queryTokens, int passageTokens) {
  public static final Truncation SERVING = new Truncation(64, 512);

  public Truncation {
    if (queryTokens < 2 || passageTokens < 2) throw new IllegalArgumentException("truncation (" + queryTokens + ", " + passageTokens + ") must be >= 2 tokens");
  }
}

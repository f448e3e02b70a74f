package dev.attune.streams.mining.rules;

import java.io.Serializable;

/** An inclusive range of 1-based retrieval ranks. */
public record RankRange(int min, int max) implements Serializable {
  public RankRange {
    if (min < 1 || max < min) {
      throw new IllegalArgumentException("rank range [" + min + ", " + max + "] must satisfy 1 <= min <= max");
    }
  }

  public boolean contains(Integer rank) {
    return rank != null && rank >= min && rank <= max;
  }

  @Override
  public String toString() {
    return "[" + min + ", " + max + "]";
  }
}

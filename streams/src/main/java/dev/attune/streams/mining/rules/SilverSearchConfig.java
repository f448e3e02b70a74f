package dev.attune.streams.mining.rules;

import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parameters of the utility model behind BGM silver sequences (see {@link SilverSearch}).
 *
 * @param distraction each passage after the first multiplies the sequence's utility by {@code
 *     1 - distraction}: the cost of making the LLM read more text
 * @param repetitionDecay a repeated passage counts as a new attempt with its answer probability
 *     multiplied by this, once per earlier copy (0 forbids useful repeats)
 * @param maxLength longest sequence the search builds
 */
public record SilverSearchConfig(double distraction, double repetitionDecay, int maxLength)
    implements Serializable {
  private static final Map<SilverSearchConfig, String> DESCRIPTIONS = new ConcurrentHashMap<>();

  public SilverSearchConfig {
    if (!(distraction >= 0 && distraction < 1)) {
      throw new IllegalArgumentException("distraction (" + distraction + ") must be in [0, 1)");
    }
    if (!(repetitionDecay >= 0 && repetitionDecay <= 1)) {
      throw new IllegalArgumentException("repetitionDecay (" + repetitionDecay + ") must be in [0, 1]");
    }
    if (maxLength < 1) throw new IllegalArgumentException("maxLength (" + maxLength + ") must be >= 1");
  }

  public static SilverSearchConfig defaults() {
    return new SilverSearchConfig(0.2, 0.3, 8);
  }

  /** How {@code SilverSequence.utilityModel} names this model. */
  public String describe() {
    // Every silver sequence carries it: formatting the doubles each time showed in the miner's profile.
    return DESCRIPTIONS.computeIfAbsent(this, c -> "noisy-or(answer probability per passage), x(1-" + c.distraction
        + ") per extra passage, repeat decay " + c.repetitionDecay + ", max " + c.maxLength);
  }
}

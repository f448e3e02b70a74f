package dev.attune.models.bridge;

import java.util.List;

/**
 * The decoder's per-step view of given sequences, as flat arrays for a batch of B rows, T = maxLength
 * + 1 steps and O = N + 1 options (N candidate slots, then STOP). At step t of row b the decoder has
 * emitted the first t entries of the row's sequence; step |s| targets STOP, later steps are padding.
 *
 * <p>The masking rules live here and only here ({@link #allowed}): a padded slot is never chosen, a
 * passage at most {@code maxRepeats} times, at most {@code maxLength} passages (then only STOP), and
 * never STOP first: a sequence holds at least one passage.
 *
 * @param counts [B,T,N] copies of each candidate in the prefix
 * @param copies [B,T,O] the same with a zero STOP column, for the option scorer
 * @param last [B,T,O] 1 for the option emitted at the step before
 * @param penalty [B,T,O] 0 where allowed, {@link #MASKED} where not
 * @param target [B,T,O] one-hot of the sequence's next entry, zero rows on padding steps
 * @param stepValid [B,T] 1 for steps 0..|s|
 * @param prefixLength [T] max(t, 1), to average the prefix
 */
public record DecoderSteps(int batch, int steps, int options, float[] counts, float[] copies, float[] last, float[] penalty,
    float[] target, float[] stepValid, float[] prefixLength) {
  /** Added to the logits of options the rules forbid: their probability underflows to 0. */
  public static final float MASKED = -1e9f;

  /** Whether the decoder may emit {@code option} at {@code step}, given the prefix's copies per candidate. */
  public static boolean allowed(int option, int step, int[] copies, int realCandidates, int slots, int maxLength, int maxRepeats) {
    if (option == slots) return step >= 1;
    return option < realCandidates && step < maxLength && copies[option] < maxRepeats;
  }

  /**
   * Steps for complete sequences (each implicitly followed by STOP); every entry must be allowed by
   * the rules at its step.
   */
  public static DecoderSteps of(List<List<Integer>> sequences, int[] realCandidates, int slots, int maxLength, int maxRepeats) {
    return build(sequences, realCandidates, slots, maxLength, maxRepeats, true);
  }

  /**
   * Steps for unfinished sequences during decoding: row b's distribution over its next entry is at
   * step {@code prefixes.get(b).size()}; no STOP is targeted.
   */
  public static DecoderSteps ofPrefixes(List<List<Integer>> prefixes, int[] realCandidates, int slots, int maxLength, int maxRepeats) {
    return build(prefixes, realCandidates, slots, maxLength, maxRepeats, false);
  }

  private static DecoderSteps build(List<List<Integer>> sequences, int[] realCandidates, int slots, int maxLength, int maxRepeats,
      boolean complete) {
    int b = sequences.size(), t = maxLength + 1, o = slots + 1;
    float[] counts = new float[b * t * slots];
    float[] copiesOut = new float[b * t * o];
    float[] last = new float[b * t * o];
    float[] penalty = new float[b * t * o];
    float[] target = new float[b * t * o];
    float[] stepValid = new float[b * t];
    float[] prefixLength = new float[t];
    for (int step = 0; step < t; step++) prefixLength[step] = Math.max(step, 1);
    for (int row = 0; row < b; row++) {
      List<Integer> s = sequences.get(row);
      if (s.size() > maxLength) throw new IllegalArgumentException("sequence " + s + " is longer than maxLength " + maxLength);
      int[] copies = new int[slots];
      for (int step = 0; step < t; step++) {
        int base = (row * t + step) * o;
        for (int j = 0; j < slots; j++) {
          counts[(row * t + step) * slots + j] = copies[j];
          copiesOut[base + j] = copies[j];
        }
        if (step > 0 && step <= s.size()) last[base + s.get(step - 1)] = 1;
        else if (step > s.size()) last[base + slots] = 1;
        for (int j = 0; j < o; j++) {
          if (!allowed(j, step, copies, realCandidates[row], slots, maxLength, maxRepeats)) penalty[base + j] = MASKED;
        }
        if (step < s.size() || (complete && step == s.size())) {
          int next = step < s.size() ? s.get(step) : slots;
          if (penalty[base + next] != 0) {
            throw new IllegalArgumentException("sequence " + s + " breaks the decoder's rules at step " + step
                + " (" + realCandidates[row] + " candidates, maxLength " + maxLength + ", maxRepeats " + maxRepeats + ")");
          }
          target[base + next] = 1;
          stepValid[row * t + step] = 1;
          if (next < slots) copies[next]++;
        }
      }
    }
    return new DecoderSteps(b, t, o, counts, copiesOut, last, penalty, target, stepValid, prefixLength);
  }
}

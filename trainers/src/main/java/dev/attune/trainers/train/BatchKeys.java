package dev.attune.trainers.train;

import java.util.List;

/**
 * A step's keys as the losses see them: {@code keys} columns (padding masked by {@code keyValid})
 * and, per query, its own keys: its positives first (in the miner's order), then its other
 * candidates, each with the teacher's score where the LLM gave one. A column may belong to several
 * queries, each in its own role (a passage retrieved for two questions); every valid column is an
 * in-batch negative for every query it is not a positive of.
 *
 * @param targets how many of each query's positives are contrastive targets; the rest are hidden
 *     from every term of that query, never negatives
 */
record BatchKeys(int queries, int keys, float[] keyValid, List<List<Own>> own, int targets) {

  /** One of a query's keys: its column, whether it is a positive, and the teacher's score (NaN: unscored). */
  record Own(int column, boolean positive, double teacher) {
    boolean scored() {
      return !Double.isNaN(teacher);
    }
  }

  BatchKeys {
    if (keyValid.length != keys) throw new IllegalArgumentException("keyValid length (" + keyValid.length + ") is not keys (" + keys + ")");
    if (own.size() != queries) throw new IllegalArgumentException("own lists (" + own.size() + ") are not one per query (" + queries + ")");
    own = List.copyOf(own);
  }

  /** Row-major [queries × keys]: the teacher's score of each query's own scored keys, 0 elsewhere. */
  float[] teacher() {
    float[] out = new float[queries * keys];
    for (int b = 0; b < queries; b++) for (Own o : own.get(b)) if (o.scored()) out[b * keys + o.column()] = (float) o.teacher();
    return out;
  }

  /** Row-major [queries × keys]: 1 where {@link #teacher} holds a score. */
  float[] teacherValid() {
    float[] out = new float[queries * keys];
    for (int b = 0; b < queries; b++) for (Own o : own.get(b)) if (o.scored()) out[b * keys + o.column()] = 1;
    return out;
  }
}

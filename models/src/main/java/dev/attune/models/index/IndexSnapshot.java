package dev.attune.models.index;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The passage embeddings of one index version, as serving searches them: passage ids in a fixed
 * order and one L2-normalised vector each. A query-side round trains against these and never
 * re-encodes a passage; promotion scores serving and candidate over them.
 *
 * @param model the retriever version whose passage encoder built the index, e.g. {@code retriever-v1}
 */
public record IndexSnapshot(String model, List<String> ids, float[][] vectors) {
  public IndexSnapshot {
    ids = List.copyOf(ids);
    if (ids.size() != vectors.length) {
      throw new IllegalArgumentException("ids size (" + ids.size() + ") is not equal to vectors size (" + vectors.length + ")");
    }
  }

  public int size() {
    return ids.size();
  }

  public int dimension() {
    return vectors.length == 0 ? 0 : vectors[0].length;
  }

  /** Position of each id in {@link #ids}. */
  public Map<String, Integer> positions() {
    Map<String, Integer> out = new HashMap<>(ids.size() * 2);
    for (int i = 0; i < ids.size(); i++) out.put(ids.get(i), i);
    return out;
  }
}

package dev.attune.streams.mining.rules;

import dev.attune.schemas.LlmPreferenceStats;
import dev.attune.schemas.PreferenceStats;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Running preference statistics of one window (AAR's human∩LLM and LLM∩LLM overlaps, and the share of
 * episodes where the LLM's top-1 only repeats a human label). Overlap is Jaccard: |A ∩ B| / |A ∪ B|.
 */
public class PreferenceStatistics {
  public long windowStartMs;
  public long episodes;
  public Map<String, Long> llmEpisodes = new TreeMap<>();
  public Map<String, Long> llmLabeled = new TreeMap<>();
  public Map<String, Double> llmOverlapSum = new TreeMap<>();
  public Map<String, Long> llmCopies = new TreeMap<>();
  public Map<String, Double> pairOverlapSum = new TreeMap<>();
  public Map<String, Long> pairEpisodes = new TreeMap<>();
  public long labeledEpisodes;

  public void add(EpisodePreferences e) {
    episodes++;
    Set<String> human = new HashSet<>(e.human);
    boolean labeled = !human.isEmpty() && !e.llmTopK.isEmpty();
    if (labeled) labeledEpisodes++;
    for (Map.Entry<String, List<String>> llm : e.llmTopK.entrySet()) {
      String id = llm.getKey();
      llmEpisodes.merge(id, 1L, Long::sum);
      if (!labeled) continue;
      llmLabeled.merge(id, 1L, Long::sum);
      llmOverlapSum.merge(id, jaccard(human, new HashSet<>(llm.getValue())), Double::sum);
      boolean copies = !llm.getValue().isEmpty() && human.contains(llm.getValue().get(0));
      llmCopies.merge(id, copies ? 1L : 0L, Long::sum);
    }
    List<String> ids = e.llmTopK.keySet().stream().sorted().toList();
    for (int a = 0; a < ids.size(); a++) {
      for (int b = a + 1; b < ids.size(); b++) {
        String pair = ids.get(a) + "|" + ids.get(b);
        pairOverlapSum.merge(
            pair, jaccard(new HashSet<>(e.llmTopK.get(ids.get(a))), new HashSet<>(e.llmTopK.get(ids.get(b)))), Double::sum);
        pairEpisodes.merge(pair, 1L, Long::sum);
      }
    }
  }

  public PreferenceStats toRecord(long windowStartMs, long windowEndMs) {
    Map<String, LlmPreferenceStats> perLlm = new TreeMap<>();
    double overlap = 0;
    long copies = 0;
    long pairs = 0;
    for (String id : llmEpisodes.keySet()) {
      long labeled = llmLabeled.getOrDefault(id, 0L);
      double sum = llmOverlapSum.getOrDefault(id, 0.0);
      long copied = llmCopies.getOrDefault(id, 0L);
      perLlm.put(id, new LlmPreferenceStats(llmEpisodes.get(id), labeled, ratio(sum, labeled), ratio(copied, labeled)));
      overlap += sum;
      copies += copied;
      pairs += labeled;
    }
    Map<String, Double> pairOverlap = new TreeMap<>();
    pairOverlapSum.forEach((pair, sum) -> pairOverlap.put(pair, sum / pairEpisodes.get(pair)));
    return PreferenceStats.newBuilder()
        .setWindowStartMs(windowStartMs)
        .setWindowEndMs(windowEndMs)
        .setEpisodes(episodes)
        .setLabeledEpisodes(labeledEpisodes)
        .setHumanLlmOverlap(ratio(overlap, pairs))
        .setLlmCopiesHumanShare(ratio(copies, pairs))
        .setPerLlm(perLlm)
        .setLlmPairOverlap(pairOverlap)
        .setLlmPairEpisodes(new TreeMap<>(pairEpisodes))
        .build();
  }

  static double jaccard(Set<String> a, Set<String> b) {
    Set<String> union = new HashSet<>(a);
    union.addAll(b);
    if (union.isEmpty()) return 0;
    Set<String> both = new HashSet<>(a);
    both.retainAll(b);
    return (double) both.size() / union.size();
  }

  private static double ratio(double sum, long count) {
    return count == 0 ? 0 : sum / count;
  }
}

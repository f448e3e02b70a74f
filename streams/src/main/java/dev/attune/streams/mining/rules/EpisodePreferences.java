package dev.attune.streams.mining.rules;

import dev.attune.schemas.FeedbackEpisode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What one mined episode contributes to the preference statistics: human labels and each LLM's top-K. */
public class EpisodePreferences {
  public List<String> human = new ArrayList<>();
  public Map<String, List<String>> llmTopK = new HashMap<>();

  public EpisodePreferences() {}

  public EpisodePreferences(List<String> human, Map<String, List<String>> llmTopK) {
    this.human = new ArrayList<>(human);
    this.llmTopK = new HashMap<>(llmTopK);
  }

  /** Human labels and each LLM's top-K (none for a flat signal), over the passages the corpus still holds. */
  public static EpisodePreferences of(
      FeedbackEpisode episode, TeacherSignal signal, Function<String, CorpusUpdate> passages, int k) {
    List<String> human = episode.getRelevantPassageIds().stream().filter(id -> !passages.apply(id).deleted).toList();
    Map<String, List<String>> topK = new HashMap<>();
    // A flat signal's top K is arbitrary: it would only add noise to the overlap statistics.
    if (!signal.flat()) signal.perLlm().forEach((llm, scores) -> {
      Map<String, Double> live = new LinkedHashMap<>();
      scores.forEach((id, s) -> {
        if (!passages.apply(id).deleted) live.put(id, s);
      });
      topK.put(llm, TeacherSignal.topK(live, k));
    });
    return new EpisodePreferences(human, topK);
  }
}

package dev.attune.streams.mining;

import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.SignalKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The LLM feedback of one episode that teaches: the events of the first signal kind in the priority
 * list that the episode has, with scores averaged per passage (overall and per LLM).
 *
 * @param kind the chosen kind, or null when the episode has no LLM feedback of a listed kind
 * @param mean passage id → mean score over the chosen events, in first-scored order
 * @param perLlm llm id → (passage id → mean score of that LLM)
 */
public record TeacherSignal(SignalKind kind, Map<String, Double> mean, Map<String, Map<String, Double>> perLlm) {

  public static TeacherSignal of(FeedbackEpisode episode, List<SignalKind> priority) {
    for (SignalKind kind : priority) {
      List<LlmFeedbackEvent> chosen = new ArrayList<>();
      for (LlmFeedbackEvent f : episode.getLlmFeedback()) {
        if (f.getSignalKind() == kind) chosen.add(f);
      }
      if (chosen.isEmpty()) continue;
      Map<String, List<Double>> all = new LinkedHashMap<>();
      Map<String, Map<String, List<Double>>> byLlm = new LinkedHashMap<>();
      for (LlmFeedbackEvent f : chosen) {
        for (PassageScore s : f.getPassageScores()) {
          all.computeIfAbsent(s.getPassageId(), k -> new ArrayList<>()).add(s.getScore());
          byLlm.computeIfAbsent(f.getLlmId(), k -> new LinkedHashMap<>())
              .computeIfAbsent(s.getPassageId(), k -> new ArrayList<>())
              .add(s.getScore());
        }
      }
      Map<String, Map<String, Double>> perLlm = new LinkedHashMap<>();
      byLlm.forEach((llm, scores) -> perLlm.put(llm, means(scores)));
      return new TeacherSignal(kind, means(all), perLlm);
    }
    return new TeacherSignal(null, Map.of(), Map.of());
  }

  /** The ids of the {@code k} best-scored passages of {@code scores}, best first. */
  public static List<String> topK(Map<String, Double> scores, int k) {
    return scores.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .limit(k)
        .map(Map.Entry::getKey)
        .toList();
  }

  public Set<String> llmIds() {
    return new LinkedHashSet<>(perLlm.keySet());
  }

  private static Map<String, Double> means(Map<String, List<Double>> scores) {
    Map<String, Double> mean = new LinkedHashMap<>();
    scores.forEach((id, values) -> mean.put(id, values.stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
    return mean;
  }
}

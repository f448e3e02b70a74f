package dev.attune.streams.mining.rules;

import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.SignalKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The LLM feedback of one episode that teaches: the events of the first signal kind in the priority
 * list that the episode has, with scores averaged per passage (overall and per LLM). Feedback whose
 * LLM abstained is left out (all of it abstaining gives the empty signal, with the reason). A
 * distribution too flat to say which passage helped ({@link MiningConfig#maxTeacherEntropy()}) is
 * kept as the LLM's measurement but marked {@code flat}: it makes no positive.
 *
 * @param kind the chosen kind, or null when the episode has no LLM feedback that teaches
 * @param mean passage id → mean score over the chosen events, in first-scored order
 * @param perLlm llm id → (passage id → mean score of that LLM)
 * @param silence why an episode with LLM feedback has no signal (the LLM abstained), or why its
 *     signal cannot rank (flat), else null
 */
public record TeacherSignal(SignalKind kind, Map<String, Double> mean, Map<String, Map<String, Double>> perLlm, String silence) {

  /** Whether the signal is too flat to say which passage helped: it makes no LLM positive. */
  public boolean flat() {
    return kind != null && silence != null;
  }

  public static TeacherSignal of(FeedbackEpisode episode, MiningConfig config) {
    boolean abstained = false;
    for (SignalKind kind : config.signalPriority()) {
      List<LlmFeedbackEvent> chosen = new ArrayList<>();
      for (LlmFeedbackEvent f : episode.getLlmFeedback()) {
        if (f.getSignalKind() != kind) continue;
        if (f.getAbstained()) abstained = true;
        else chosen.add(f);
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
      Map<String, Double> mean = means(all);
      double entropy = normalisedEntropy(mean, config.teacherTemperature());
      String flat = entropy < config.maxTeacherEntropy() ? null
          : String.format(Locale.ROOT, "the %s distribution is flat (normalised entropy %.4f >= %.4f)", kind, entropy, config.maxTeacherEntropy());
      Map<String, Map<String, Double>> perLlm = new LinkedHashMap<>();
      byLlm.forEach((llm, scores) -> perLlm.put(llm, means(scores)));
      return new TeacherSignal(kind, mean, perLlm, flat);
    }
    return silent(abstained ? "the LLM abstained (declared no answer)" : null);
  }

  private static TeacherSignal silent(String why) {
    return new TeacherSignal(null, Map.of(), Map.of(), why);
  }

  /**
   * Entropy of softmax(score / temperature) divided by log(n): 0 when one passage takes all, 1 when
   * every passage is alike; 0 for a single passage, which nothing can show to be flat.
   */
  public static double normalisedEntropy(Map<String, Double> scores, double temperature) {
    if (scores.size() < 2) return 0;
    double max = scores.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow() / temperature;
    double z = 0;
    for (double s : scores.values()) z += Math.exp(s / temperature - max);
    double h = 0;
    for (double s : scores.values()) {
      double p = Math.exp(s / temperature - max) / z;
      if (p > 0) h -= p * Math.log(p);
    }
    return h / Math.log(scores.size());
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

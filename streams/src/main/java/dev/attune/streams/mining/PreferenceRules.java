package dev.attune.streams.mining;

import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns one episode into preference data. Pure: the same episode and corpus give the same example.
 *
 * <ul>
 *   <li>teacher score of a passage = mean of its scores over the episode's LLM feedback events;
 *   <li>positives = human-labeled ∪ the LLM's top-K by teacher score (AAR);
 *   <li>hard negatives = retrieved at rank ≤ maxRank, teacher score ≤ K-th best − margin, not
 *       positive, not labeled relevant, and containing none of the known answers; best-ranked first.
 * </ul>
 */
public final class PreferenceRules {
  private PreferenceRules() {}

  /** Outcome of mining: an example, or the reason there is none. */
  public record Outcome(TrainingExample example, String rejection) {}

  public static Map<String, Double> teacherScores(FeedbackEpisode episode) {
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (LlmFeedbackEvent feedback : episode.getLlmFeedback()) {
      for (PassageScore s : feedback.getPassageScores()) {
        double[] acc = sums.computeIfAbsent(s.getPassageId(), k -> new double[2]);
        acc[0] += s.getScore();
        acc[1] += 1;
      }
    }
    Map<String, Double> mean = new LinkedHashMap<>();
    sums.forEach((id, acc) -> mean.put(id, acc[0] / acc[1]));
    return mean;
  }

  public static boolean containsAnswer(String text, List<String> answers) {
    String haystack = text.toLowerCase(Locale.ROOT);
    for (String answer : answers) {
      String needle = answer.trim().toLowerCase(Locale.ROOT);
      if (!needle.isEmpty() && haystack.contains(needle)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Mines one episode.
   *
   * @param passages resolves a passage id to its corpus entry; never returns null for ids of the
   *     episode (the caller waits for the corpus first)
   */
  public static Outcome mine(
      FeedbackEpisode episode, Function<String, CorpusUpdate> passages, MiningConfig config, long nowMs) {
    Map<String, Double> teacher = teacherScores(episode);
    List<Map.Entry<String, Double>> byTeacher = new ArrayList<>(teacher.entrySet());
    byTeacher.sort(Map.Entry.<String, Double>comparingByValue().reversed());

    Set<String> positives = new LinkedHashSet<>(episode.getRelevantPassageIds());
    int k = Math.min(config.positivesTopK(), byTeacher.size());
    for (int i = 0; i < k; i++) {
      positives.add(byTeacher.get(i).getKey());
    }
    if (positives.isEmpty()) {
      return new Outcome(null, "no human label and no LLM-scored passage");
    }
    double threshold =
        k == 0 ? Double.POSITIVE_INFINITY : byTeacher.get(k - 1).getValue() - config.hardNegativeMargin();

    Set<String> relevant = new LinkedHashSet<>(episode.getRelevantPassageIds());
    List<EpisodeCandidate> retrieved = new ArrayList<>();
    for (EpisodeCandidate c : episode.getCandidates()) {
      if (c.getRetrievalRank() != null && c.getRetrievalRank() <= config.hardNegativeMaxRank()) {
        retrieved.add(c);
      }
    }
    retrieved.sort(Comparator.comparingInt(EpisodeCandidate::getRetrievalRank));
    List<String> hardNegatives = new ArrayList<>();
    for (EpisodeCandidate c : retrieved) {
      if (hardNegatives.size() >= config.hardNegativesPerQuery()) break;
      String id = c.getPassageId();
      Double score = teacher.get(id);
      if (score == null || score > threshold || positives.contains(id) || relevant.contains(id)) continue;
      if (containsAnswer(passages.apply(id).text, episode.getAnswers())) continue;
      hardNegatives.add(id);
    }

    Map<String, Integer> ranks = new HashMap<>();
    for (EpisodeCandidate c : episode.getCandidates()) {
      ranks.put(c.getPassageId(), c.getRetrievalRank());
    }
    Set<String> named = new LinkedHashSet<>(positives);
    named.addAll(hardNegatives);
    named.addAll(teacher.keySet());
    List<TrainingPassage> candidates = new ArrayList<>();
    for (String id : named) {
      CorpusUpdate entry = passages.apply(id);
      candidates.add(new TrainingPassage(id, entry.title, entry.text, ranks.get(id), teacher.get(id)));
    }
    Set<String> llmIds = new LinkedHashSet<>();
    episode.getLlmFeedback().forEach(f -> llmIds.add(f.getLlmId()));
    var query = episode.getQuery();
    TrainingExample example =
        TrainingExample.newBuilder()
            .setExampleId(episode.getRequestId())
            .setCreatedAtMs(nowMs)
            .setTask(query.getTask())
            .setInstruction(query.getInstruction())
            .setQuery(query.getQuery())
            .setLlmIds(new ArrayList<>(llmIds))
            .setRetrieverVersion(query.getRetrieverVersion())
            .setPositives(new ArrayList<>(positives))
            .setHardNegatives(hardNegatives)
            .setCandidates(candidates)
            .build();
    return new Outcome(example, null);
  }

  /** Every passage id the episode needs text for. */
  public static Set<String> referencedPassages(FeedbackEpisode episode) {
    Set<String> ids = new LinkedHashSet<>();
    episode.getCandidates().forEach(c -> ids.add(c.getPassageId()));
    ids.addAll(episode.getRelevantPassageIds());
    return ids;
  }
}

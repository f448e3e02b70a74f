package dev.attune.streams.mining.rules;

import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Turns one episode into a training example. Pure: the same episode and corpus give the same example.
 *
 * <ul>
 *   <li>teacher = the episode's feedback of the first signal kind in {@link MiningConfig#signalPriority()},
 *       averaged per passage ({@link TeacherSignal});
 *   <li>positives = human-labeled ∪ the teacher's top-K (AAR); the human-labeled ones are also listed apart;
 *   <li>LLM-dispreferred hard negatives = retrieved within the rank range, teacher score ≤ K-th best −
 *       margin; ANCE-style negatives = sampled from the retriever's rank range; both pass the
 *       false-negative guard (not positive, not labeled, containing no known answer);
 *   <li>a passage the corpus has deleted is left out everywhere.
 * </ul>
 */
public final class PreferenceRules {
  private PreferenceRules() {}

  /** Outcome of mining: an example, or the reason there is none. */
  public record Outcome(TrainingExample example, String rejection) {}

  /** Whether {@code text} contains one of {@code answers} (trimmed), ignoring case. */
  public static boolean containsAnswer(String text, List<String> answers) {
    for (String answer : answers) {
      String needle = answer.trim();
      if (!needle.isEmpty() && containsIgnoringCase(text, needle)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Without a lower-cased copy of the text (a passage is checked once per episode that retrieves
   * it): the places where the needle's first character occurs in either case are found by {@code
   * indexOf}, and only there is the rest compared ignoring case.
   */
  private static boolean containsIgnoringCase(String text, String needle) {
    int n = needle.length();
    int last = text.length() - n;
    char lower = Character.toLowerCase(needle.charAt(0));
    char upper = Character.toUpperCase(needle.charAt(0));
    int nextLower = text.indexOf(lower);
    int nextUpper = lower == upper ? -1 : text.indexOf(upper);
    while (true) {
      int i = nextLower < 0 ? nextUpper : nextUpper < 0 ? nextLower : Math.min(nextLower, nextUpper);
      if (i < 0 || i > last) return false;
      if (text.regionMatches(true, i, needle, 0, n)) return true;
      if (i == nextLower) nextLower = text.indexOf(lower, i + 1);
      else nextUpper = text.indexOf(upper, i + 1);
    }
  }

  /**
   * Mines one episode.
   *
   * @param signal the episode's teacher, {@code TeacherSignal.of(episode, config)}
   * @param passages resolves a passage id to its corpus state (possibly a deletion); never null for
   *     ids of the episode (the caller waits for the corpus first)
   */
  public static Outcome mine(
      FeedbackEpisode episode, TeacherSignal signal, Function<String, CorpusUpdate> passages, MiningConfig config, long nowMs) {
    Function<String, Boolean> live = id -> !passages.apply(id).deleted;
    Map<String, Double> teacher = new LinkedHashMap<>();
    signal.mean().forEach((id, score) -> {
      if (live.apply(id)) teacher.put(id, score);
    });
    // A flat distribution is kept (the LLM's measurement) but ranks nothing: no LLM positive, so no LLM-dispreferred negative.
    List<String> topK = signal.flat() ? List.of() : TeacherSignal.topK(teacher, config.positivesTopK());

    Set<String> relevant = new LinkedHashSet<>(episode.getRelevantPassageIds());
    List<String> labeled = relevant.stream().filter(live::apply).toList();
    Set<String> positives = new LinkedHashSet<>(labeled);
    positives.addAll(topK);
    if (positives.isEmpty()) {
      return new Outcome(null, "no positive: no live human-labeled passage and no live LLM-scored passage"
          + (relevant.isEmpty() ? "" : " (labeled " + relevant + " deleted from the corpus)")
          + (signal.silence() == null ? "" : "; no LLM positive: " + signal.silence()));
    }
    // Negative candidates are checked more than once (LLM-dispreferred, then sampled): lower-case each text once.
    Map<String, Boolean> answerBearing = new HashMap<>();
    Function<String, Boolean> guard =
        id -> live.apply(id) && !positives.contains(id) && !relevant.contains(id)
            && !answerBearing.computeIfAbsent(id, i -> containsAnswer(passages.apply(i).text(), episode.getAnswers()));

    List<EpisodeCandidate> retrieved = new ArrayList<>();
    for (EpisodeCandidate c : episode.getCandidates()) {
      if (c.getRetrievalRank() != null) retrieved.add(c);
    }
    retrieved.sort(Comparator.comparingInt(EpisodeCandidate::getRetrievalRank));
    NegativeRules rules = config.negatives();
    double threshold = topK.isEmpty() ? Double.NEGATIVE_INFINITY : teacher.get(topK.get(topK.size() - 1)) - rules.llmMargin();
    List<String> llmNegatives = new ArrayList<>();
    for (EpisodeCandidate c : retrieved) {
      if (llmNegatives.size() >= rules.llmCount()) break;
      Double score = teacher.get(c.getPassageId());
      if (rules.llmRanks().contains(c.getRetrievalRank()) && score != null && score <= threshold && guard.apply(c.getPassageId())) {
        llmNegatives.add(c.getPassageId());
      }
    }
    List<String> sampled = sample(episode.getRequestId(), retrieved, rules, id -> guard.apply(id) && !llmNegatives.contains(id));

    Map<String, Integer> ranks = new HashMap<>();
    episode.getCandidates().forEach(c -> ranks.put(c.getPassageId(), c.getRetrievalRank()));
    Set<String> named = new LinkedHashSet<>(positives);
    named.addAll(llmNegatives);
    named.addAll(sampled);
    named.addAll(teacher.keySet());
    List<TrainingPassage> candidates = new ArrayList<>();
    for (String id : named) {
      CorpusUpdate entry = passages.apply(id);
      candidates.add(new TrainingPassage(id, entry.title(), entry.text(), ranks.get(id), teacher.get(id)));
    }
    var query = episode.getQuery();
    TrainingExample example =
        TrainingExample.newBuilder()
            .setExampleId(episode.getRequestId())
            .setCreatedAtMs(nowMs)
            .setTask(query.getTask())
            .setInstruction(query.getInstruction())
            .setQuery(query.getQuery())
            .setLlmIds(new ArrayList<>(signal.llmIds()))
            .setSignalKind(signal.kind())
            .setRetrieverVersion(query.getRetrieverVersion())
            .setPositives(new ArrayList<>(positives))
            .setHumanLabels(new ArrayList<>(labeled))
            .setHardNegatives(llmNegatives)
            .setSampledNegatives(sampled)
            .setAnswers(new ArrayList<>(episode.getAnswers()))
            .setCandidates(candidates)
            .build();
    return new Outcome(example, null);
  }

  /** ANCE-style: a uniform sample, seeded by the request id, of the eligible ranks; returned in rank order. */
  private static List<String> sample(
      String requestId, List<EpisodeCandidate> retrieved, NegativeRules rules, Function<String, Boolean> eligible) {
    List<EpisodeCandidate> pool = new ArrayList<>();
    for (EpisodeCandidate c : retrieved) {
      if (rules.sampledRanks().contains(c.getRetrievalRank()) && eligible.apply(c.getPassageId())) pool.add(c);
    }
    SplittableRandom random = new SplittableRandom(requestId.hashCode());
    for (int i = pool.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      EpisodeCandidate t = pool.get(i);
      pool.set(i, pool.get(j));
      pool.set(j, t);
    }
    return pool.stream()
        .limit(rules.sampledCount())
        .sorted(Comparator.comparingInt(EpisodeCandidate::getRetrievalRank))
        .map(EpisodeCandidate::getPassageId)
        .toList();
  }

  /** Every passage id the episode needs the corpus state of. */
  public static Set<String> referencedPassages(FeedbackEpisode episode) {
    Set<String> ids = new LinkedHashSet<>();
    episode.getCandidates().forEach(c -> ids.add(c.getPassageId()));
    ids.addAll(episode.getRelevantPassageIds());
    return ids;
  }
}

package dev.attune.streams.mining.rules;

import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingPassage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * BGM silver passage sequences by greedy search: start from the empty sequence, append the candidate
 * (repeats allowed) that most improves the utility, stop when nothing improves or at the maximum
 * length. Ties go to the better-ranked candidate.
 *
 * <p>BGM asks the LLM for the utility of every extension; Attune instead builds it from the
 * per-passage signals already in the stream. A passage's score gives the probability that the LLM
 * answers from it alone (ANSWER_LOG_LIKELIHOOD: {@code exp(mean log-prob per token)}; DOWNSTREAM_REWARD:
 * the reward clipped to [0, 1]; CROSS_ATTENTION is not a utility, so gives no sequence). A sequence
 * answers if any of its passages does (noisy-or, each repeat an attempt weakened by {@code
 * repetitionDecay} per earlier copy), and every passage after the first costs a factor {@code
 * 1 − distraction}:
 *
 * <pre>U(S) = (1 − Π_i (1 − q(s_i) · decay^copies_before(i))) · (1 − distraction)^(|S| − 1),  U(∅) = 0</pre>
 */
public final class SilverSearch {
  private SilverSearch() {}

  /** A searched sequence: candidate indexes, the utility after each step, the final utility. */
  public record Result(List<Integer> sequence, List<Double> stepUtilities, double utility) {}

  /** Answer probability a per-passage score implies, or null when the kind is not a utility. */
  public static Double answerProbability(SignalKind kind, double score) {
    return switch (kind) {
      case ANSWER_LOG_LIKELIHOOD -> Math.exp(Math.min(0, score));
      case DOWNSTREAM_REWARD -> Math.max(0, Math.min(1, score));
      default -> null;
    };
  }

  public static double utility(double[] q, List<Integer> sequence, SilverSearchConfig config) {
    if (sequence.isEmpty()) return 0;
    int[] copies = new int[q.length];
    double miss = 1;
    for (int i : sequence) {
      miss *= 1 - q[i] * Math.pow(config.repetitionDecay(), copies[i]++);
    }
    return (1 - miss) * Math.pow(1 - config.distraction(), sequence.size() - 1);
  }

  public static Result search(double[] q, SilverSearchConfig config) {
    List<Integer> sequence = new ArrayList<>();
    List<Double> steps = new ArrayList<>();
    double current = 0;
    while (sequence.size() < config.maxLength()) {
      int best = -1;
      double bestUtility = current;
      for (int i = 0; i < q.length; i++) {
        sequence.add(i);
        double u = utility(q, sequence, config);
        sequence.remove(sequence.size() - 1);
        if (u > bestUtility) {
          best = i;
          bestUtility = u;
        }
      }
      if (best < 0) break;
      sequence.add(best);
      steps.add(bestUtility);
      current = bestUtility;
    }
    return new Result(sequence, steps, current);
  }

  /**
   * One silver sequence per LLM of the episode's teacher signal, over the live retrieved candidates
   * in rank order; LLMs whose search ends empty give none.
   */
  public static List<SilverSequence> sequences(
      FeedbackEpisode episode, TeacherSignal signal, Function<String, CorpusUpdate> passages, SilverSearchConfig config,
      long nowMs) {
    if (signal.kind() == null || answerProbability(signal.kind(), 0) == null) return List.of();
    List<EpisodeCandidate> retrieved = new ArrayList<>();
    for (EpisodeCandidate c : episode.getCandidates()) {
      if (c.getRetrievalRank() != null && !passages.apply(c.getPassageId()).deleted) retrieved.add(c);
    }
    retrieved.sort(Comparator.comparingInt(EpisodeCandidate::getRetrievalRank));
    List<SilverSequence> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Double>> llm : signal.perLlm().entrySet()) {
      double[] q = new double[retrieved.size()];
      List<TrainingPassage> candidates = new ArrayList<>();
      for (int i = 0; i < q.length; i++) {
        EpisodeCandidate c = retrieved.get(i);
        Double score = llm.getValue().get(c.getPassageId());
        // A passage this LLM did not score is assumed useless to it.
        q[i] = score == null ? 0 : answerProbability(signal.kind(), score);
        CorpusUpdate entry = passages.apply(c.getPassageId());
        candidates.add(new TrainingPassage(c.getPassageId(), entry.title(), entry.text(), c.getRetrievalRank(), score));
      }
      Result result = search(q, config);
      if (result.sequence().isEmpty()) continue;
      List<Integer> topK = new ArrayList<>();
      for (int i = 0; i < Math.min(q.length, result.sequence().size()); i++) topK.add(i);
      var query = episode.getQuery();
      out.add(
          SilverSequence.newBuilder()
              .setSequenceId(episode.getRequestId() + '\u001f' + llm.getKey())
              .setRequestId(episode.getRequestId())
              .setCreatedAtMs(nowMs)
              .setTask(query.getTask())
              .setInstruction(query.getInstruction())
              .setQuery(query.getQuery())
              .setLlmId(llm.getKey())
              .setSignalKind(signal.kind())
              .setRetrieverVersion(query.getRetrieverVersion())
              .setCandidates(candidates)
              .setSequence(result.sequence())
              .setStepUtilities(result.stepUtilities())
              .setUtility(result.utility())
              .setRetrieverTopKUtility(utility(q, topK, config))
              .setUtilityModel(config.describe())
              .setAnswers(new ArrayList<>(episode.getAnswers()))
              .build());
    }
    return out;
  }
}

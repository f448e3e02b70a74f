package dev.attune.infra.offline;

import dev.attune.streams.mining.rules.SilverSearch;
import dev.attune.streams.mining.rules.SilverSearchConfig;
import dev.attune.infra.data.BeirDataset;
import dev.attune.trainers.eval.LlmScorer;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingPassage;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.Encoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Silver sequences for data-set questions without live traffic, by the miner's rules: {@link
 * OfflineReplay}'s scored top k and {@link SilverSearch}'s greedy search on those scores. The same
 * records the mining job writes, for tests and offline bridge evaluation.
 */
public final class OfflineSilver {
  private OfflineSilver() {}

  public static List<SilverSequence> of(BeirDataset data, List<RetrievalMetrics.Judged> queries, Encoder encoder, LlmScorer scorer,
      int k, SilverSearchConfig config, int maxQueryTokens, int maxPassageTokens) {
    List<SilverSequence> out = new ArrayList<>();
    for (OfflineReplay.Replayed served : OfflineReplay.of(data, queries, encoder, scorer, k, maxQueryTokens, maxPassageTokens)) {
      RetrievalMetrics.Judged q = served.question();
      if (q.answers().isEmpty()) continue;
      List<TrainingPassage> candidates = new ArrayList<>();
      double[] probability = new double[served.scores().length];
      for (int r = 0; r < probability.length; r++) {
        Corpus.Passage p = served.passages().get(r);
        double score = served.scores()[r];
        probability[r] = SilverSearch.answerProbability(scorer.signalKind(), score);
        candidates.add(new TrainingPassage(p.id(), p.title(), p.text(), r + 1, score));
      }
      SilverSearch.Result result = SilverSearch.search(probability, config);
      if (result.sequence().isEmpty()) continue;
      List<Integer> topK = new ArrayList<>();
      for (int r = 0; r < Math.min(probability.length, result.sequence().size()); r++) topK.add(r);
      out.add(SilverSequence.newBuilder()
          .setSequenceId(q.queryId() + '\u001f' + scorer.llmId()).setRequestId(q.queryId()).setCreatedAtMs(System.currentTimeMillis())
          .setTask(q.task()).setQuery(q.text()).setLlmId(scorer.llmId()).setSignalKind(scorer.signalKind())
          .setRetrieverVersion(encoder.version()).setCandidates(candidates).setSequence(result.sequence())
          .setStepUtilities(result.stepUtilities()).setUtility(result.utility())
          .setRetrieverTopKUtility(SilverSearch.utility(probability, topK, config)).setUtilityModel(config.describe())
          .setAnswers(q.answers()).build());
    }
    return out;
  }
}

package dev.attune.infra.bridge;

import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.replay.LlmScorer;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingPassage;
import dev.attune.serving.Corpus;
import dev.attune.streams.mining.SilverSearch;
import dev.attune.streams.mining.SilverSearchConfig;
import dev.attune.trainers.eval.ExactSearch;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.model.Encoder;
import dev.attune.trainers.model.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Silver sequences for data-set questions without live traffic, by the miner's rules: the retriever's
 * top k (exact search), each passage scored by the LLM with the question's first answer, and {@link
 * SilverSearch}'s greedy search on those scores. The same records the mining job writes, for tests
 * and offline bridge evaluation.
 */
public final class OfflineSilver {
  private OfflineSilver() {}

  public static List<SilverSequence> of(BeirDataset data, List<RetrievalMetrics.Judged> queries, Encoder encoder, LlmScorer scorer,
      int k, SilverSearchConfig config, int maxQueryTokens, int maxPassageTokens) {
    List<Corpus.Passage> passages = data.corpus().passages();
    Map<String, Corpus.Passage> byId = passages.stream().collect(Collectors.toMap(Corpus.Passage::id, Function.identity()));
    float[][] corpus = encoder.embed(passages.stream().map(Corpus.Passage::embeddingText).toList(), maxPassageTokens, 32,
        Progress.every("embedding corpus", passages.size(), 10_000));
    float[][] vectors = encoder.embed(queries.stream().map(RetrievalMetrics.Judged::text).toList(), maxQueryTokens, 32, Progress.silent());
    List<List<String>> ranked = ExactSearch.topK(vectors, corpus, passages.stream().map(Corpus.Passage::id).toList(), k);
    List<SilverSequence> out = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      RetrievalMetrics.Judged q = queries.get(i);
      if (q.answers().isEmpty()) continue;
      List<TrainingPassage> candidates = new ArrayList<>();
      double[] probability = new double[ranked.get(i).size()];
      for (int r = 0; r < probability.length; r++) {
        Corpus.Passage p = byId.get(ranked.get(i).get(r));
        double score = scorer.score(q.text(), p.text(), q.answers().get(0));
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

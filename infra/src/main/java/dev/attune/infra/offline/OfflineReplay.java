package dev.attune.infra.offline;

import dev.attune.trainers.eval.LlmScorer;

import dev.attune.infra.data.BeirDataset;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.ExactSearch;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@link Replayer} would send for each question, without a service: the retriever's top k by
 * exact search, each passage scored by the LLM with the question's first answer. Offline training and
 * bridge evaluation start from these.
 */
public final class OfflineReplay {
  private OfflineReplay() {}

  /**
   * One replayed question.
   *
   * @param passages the retriever's top k, best first
   * @param scores the LLM's score of each passage, same order
   */
  public record Replayed(RetrievalMetrics.Judged question, List<Corpus.Passage> passages, double[] scores) {}

  public static List<Replayed> of(BeirDataset data, List<RetrievalMetrics.Judged> questions, Encoder encoder, LlmScorer scorer, int k,
      int maxQueryTokens, int maxPassageTokens) {
    float[][] corpus = encoder.embed(data.corpus().passages().stream().map(Corpus.Passage::embeddingText).toList(), maxPassageTokens, 32,
        Progress.every("embedding corpus", data.corpus().passages().size(), 10_000));
    return of(data, corpus, questions, encoder, scorer, k, maxQueryTokens);
  }

  /** As above, with the corpus already embedded by {@code encoder}, in the data set's passage order. */
  public static List<Replayed> of(BeirDataset data, float[][] corpus, List<RetrievalMetrics.Judged> questions, Encoder encoder,
      LlmScorer scorer, int k, int maxQueryTokens) {
    List<Corpus.Passage> passages = data.corpus().passages();
    Map<String, Corpus.Passage> byId = passages.stream().collect(Collectors.toMap(Corpus.Passage::id, Function.identity()));
    float[][] vectors = encoder.embed(questions.stream().map(RetrievalMetrics.Judged::text).toList(), maxQueryTokens, 32, Progress.silent());
    List<List<String>> ranked = ExactSearch.topK(vectors, corpus, passages.stream().map(Corpus.Passage::id).toList(), k);
    List<Replayed> out = new ArrayList<>();
    for (int i = 0; i < questions.size(); i++) {
      RetrievalMetrics.Judged q = questions.get(i);
      String answer = q.answers().isEmpty() ? "" : q.answers().get(0);
      List<Corpus.Passage> top = ranked.get(i).stream().map(byId::get).toList();
      double[] scores = new double[top.size()];
      for (int r = 0; r < scores.length; r++) scores[r] = scorer.score(q.text(), top.get(r).text(), answer);
      out.add(new Replayed(q, top, scores));
    }
    return out;
  }
}

package dev.attune.infra.offline;

import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceRules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attune.infra.data.BeirDataset;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OfflineExamplesTest {

  @Test
  void replayed_questions_are_mined_by_the_miners_rules_and_none_vanishes() throws Exception {
    BeirDataset data = BeirDataset.bundled().firstArticles(1);
    List<Corpus.Passage> corpus = data.corpus().passages();
    RetrievalMetrics.Judged labeled = data.queries().get(0);
    String gold = labeled.relevant().iterator().next();
    // The gold passage is not retrieved; the LLM prefers ranks 3 and 1; rank 2 holds the answer.
    List<Corpus.Passage> retrieved = new ArrayList<>(corpus.stream()
        .filter(p -> !p.id().equals(gold) && !PreferenceRules.containsAnswer(p.text(), labeled.answers())).limit(5).toList());
    Corpus.Passage answerBearing = corpus.stream()
        .filter(p -> !p.id().equals(gold) && PreferenceRules.containsAnswer(p.text(), labeled.answers())).findFirst().orElseThrow();
    retrieved.set(1, answerBearing);
    OfflineReplay.Replayed first = new OfflineReplay.Replayed(labeled, retrieved, new double[] {-2, -9, -1, -8, -7});
    RetrievalMetrics.Judged unlabeled = new RetrievalMetrics.Judged("q-none", "qa", "nobody scored this", Set.of(), List.of(), Map.of());
    OfflineReplay.Replayed second = new OfflineReplay.Replayed(unlabeled, List.of(), new double[0]);

    OfflineExamples.Mined mined = OfflineExamples.of(List.of(first, second), corpus, "offline", SignalKind.ANSWER_LOG_LIKELIHOOD,
        "retriever-v0", MiningConfig.defaults());

    assertEquals(1, mined.examples().size());
    assertEquals(1L, mined.rejections().values().stream().mapToLong(Long::longValue).sum(), "count in = examples + rejections");
    TrainingExample e = mined.examples().get(0);
    assertEquals(List.of(gold, retrieved.get(2).id(), retrieved.get(0).id()), e.getPositives(),
        "human label first, then the LLM's top 2 best first");
    assertTrue(e.getCandidates().stream().anyMatch(c -> c.getPassageId().equals(gold) && c.getRetrievalRank() == null),
        "the unretrieved label is a candidate with its text");
    assertFalse(e.getHardNegatives().contains(answerBearing.id()), "an answer-bearing passage is never a negative");
    assertFalse(e.getSampledNegatives().contains(answerBearing.id()));
    assertEquals(List.of(retrieved.get(3).id(), retrieved.get(4).id()), e.getHardNegatives(), "retrieved, dispreferred, answer-free");
  }
}

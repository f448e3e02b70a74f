package dev.attune.infra.bench;

import dev.attune.infra.data.BeirDataset;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.serving.Corpus;
import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Training examples made straight from the data set, for benchmarks and broker-level tests of the trainer. */
public final class BenchExamples {
  private BenchExamples() {}

  /** Question, its labeled passage as (human-labelled) positive, random other passages as negatives with lower teacher scores, its answers. */
  public static List<TrainingExample> examples(BeirDataset data, int count, int negatives) {
    Map<String, Corpus.Passage> byId = new java.util.HashMap<>();
    data.corpus().passages().forEach(p -> byId.put(p.id(), p));
    List<Corpus.Passage> all = data.corpus().passages();
    Random random = new Random(7);
    List<TrainingExample> out = new ArrayList<>();
    for (RetrievalMetrics.Judged q : data.queries()) {
      if (out.size() == count) break;
      Corpus.Passage positive = byId.get(q.relevant().iterator().next());
      List<TrainingPassage> candidates = new ArrayList<>();
      candidates.add(new TrainingPassage(positive.id(), positive.title(), positive.text(), 1, -0.5));
      List<String> negativeIds = new ArrayList<>();
      while (negativeIds.size() < negatives) {
        Corpus.Passage p = all.get(random.nextInt(all.size()));
        if (p.id().equals(positive.id()) || negativeIds.contains(p.id())) continue;
        negativeIds.add(p.id());
        candidates.add(new TrainingPassage(p.id(), p.title(), p.text(), 1 + negativeIds.size(), -3.0));
      }
      out.add(TrainingExample.newBuilder().setExampleId(q.queryId()).setCreatedAtMs(0).setTask("qa").setQuery(q.text())
          .setRetrieverVersion("retriever-v0").setPositives(List.of(positive.id())).setHumanLabels(List.of(positive.id()))
          .setHardNegatives(negativeIds).setAnswers(q.answers()).setCandidates(candidates).build());
    }
    return out;
  }
}

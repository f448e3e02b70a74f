package dev.attune.trainers.train;

import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import java.util.ArrayList;
import java.util.List;

/** Hand-made training examples for unit tests. */
final class TrainingFixtures {
  private TrainingFixtures() {}

  /**
   * An example whose candidates are {@code id-p*} (positives) and {@code id-n*} (negatives); candidate
   * i has teacher score −i, so earlier candidates are preferred.
   */
  static TrainingExample example(String id, String task, int positives, int negatives) {
    List<TrainingPassage> candidates = new ArrayList<>();
    List<String> pos = new ArrayList<>();
    List<String> neg = new ArrayList<>();
    for (int i = 0; i < positives; i++) pos.add(id + "-p" + i);
    for (int i = 0; i < negatives; i++) neg.add(id + "-n" + i);
    int rank = 1;
    for (String p : pos) candidates.add(new TrainingPassage(p, null, "text of " + p, rank, (double) -rank++));
    for (String n : neg) candidates.add(new TrainingPassage(n, null, "text of " + n, rank, (double) -rank++));
    return TrainingExample.newBuilder().setExampleId(id).setCreatedAtMs(0).setTask(task).setQuery("query " + id)
        .setRetrieverVersion("retriever-v0").setPositives(pos).setHardNegatives(neg).setCandidates(candidates).build();
  }
}

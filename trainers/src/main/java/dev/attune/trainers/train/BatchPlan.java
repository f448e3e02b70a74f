package dev.attune.trainers.train;

import dev.attune.schemas.TrainingExample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The order of a training run's batches, fixed by the examples and the seed so a resumed run takes
 * exactly the batches the killed one had left. Every batch is homogeneous: all its queries come from
 * one task, so in-batch negatives are plausible for each other (LLM-Embedder). Per epoch each task's
 * examples are shuffled and cut into batches of {@code batchQueries}; a short remainder joins the
 * task's last batch (or is a batch of its own), so every example is in exactly one batch per epoch.
 * The batches of all tasks are then shuffled together.
 *
 * @param epochLength batches per epoch
 */
record BatchPlan(List<List<TrainingExample>> batches, int epochLength) {

  static BatchPlan of(List<TrainingExample> examples, int batchQueries, int epochs, long seed) {
    Map<String, List<TrainingExample>> byTask = new LinkedHashMap<>();
    for (TrainingExample e : examples) byTask.computeIfAbsent(e.getTask(), t -> new ArrayList<>()).add(e);
    Random random = new Random(seed);
    List<List<TrainingExample>> plan = new ArrayList<>();
    int epochLength = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      List<List<TrainingExample>> epochBatches = new ArrayList<>();
      for (List<TrainingExample> task : byTask.values()) {
        List<TrainingExample> shuffled = new ArrayList<>(task);
        Collections.shuffle(shuffled, random);
        List<List<TrainingExample>> cut = new ArrayList<>();
        for (int start = 0; start < shuffled.size(); start += batchQueries) {
          List<TrainingExample> chunk = shuffled.subList(start, Math.min(shuffled.size(), start + batchQueries));
          if (chunk.size() < batchQueries && !cut.isEmpty()) {
            List<TrainingExample> last = new ArrayList<>(cut.remove(cut.size() - 1));
            last.addAll(chunk);
            cut.add(List.copyOf(last));
          } else {
            cut.add(List.copyOf(chunk));
          }
        }
        epochBatches.addAll(cut);
      }
      Collections.shuffle(epochBatches, random);
      epochLength = epochBatches.size();
      plan.addAll(epochBatches);
    }
    return new BatchPlan(plan, epochLength);
  }
}

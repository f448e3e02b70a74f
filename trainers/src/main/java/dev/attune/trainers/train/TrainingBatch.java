package dev.attune.trainers.train;

import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.models.task.TaskSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One step's data, all from one task: B queries, each with exactly {@code positives + negatives}
 * key slots: its positives first, then its negatives; unfilled slots are masked. Slot j of query i
 * is key column {@code i * keysPerQuery + j}.
 *
 * @param exampleIds the examples in the batch, in query order
 * @param keyValid [B * keysPerQuery] 1 for a real key, 0 for padding
 * @param positive [B * keysPerQuery] 1 where the slot holds one of the query's positives
 * @param teacher [B * keysPerQuery] the LLM's score where known
 * @param teacherValid [B * keysPerQuery] 1 where {@code teacher} holds a score
 */
record TrainingBatch(
    TaskSpec task,
    List<String> exampleIds,
    List<String> queries,
    List<String> keys,
    float[] keyValid,
    float[] positive,
    float[] teacher,
    float[] teacherValid,
    int keysPerQuery) {

  int size() {
    return queries.size();
  }

  /** The slots as the losses see them: each query owns its own slots, and all its positives train. */
  BatchKeys layout() {
    List<List<BatchKeys.Own>> own = new ArrayList<>();
    for (int b = 0; b < size(); b++) {
      List<BatchKeys.Own> mine = new ArrayList<>();
      for (int j = 0; j < keysPerQuery; j++) {
        int col = b * keysPerQuery + j;
        if (keyValid[col] == 1) mine.add(new BatchKeys.Own(col, positive[col] == 1, teacherValid[col] == 1 ? teacher[col] : Double.NaN));
      }
      own.add(mine);
    }
    return new BatchKeys(size(), keyValid.length, keyValid, own, keysPerQuery);
  }

  static TrainingBatch of(TaskSpec task, List<TrainingExample> examples, int positives, int negatives) {
    return of(task, examples, positives, negatives, TrainerConfig.PositiveOrder.HUMAN_FIRST);
  }

  static TrainingBatch of(TaskSpec task, List<TrainingExample> examples, int positives, int negatives, TrainerConfig.PositiveOrder order) {
    int perQuery = positives + negatives;
    int n = examples.size() * perQuery;
    List<String> ids = new ArrayList<>();
    List<String> queries = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    float[] keyValid = new float[n];
    float[] positive = new float[n];
    float[] teacher = new float[n];
    float[] teacherValid = new float[n];
    for (int i = 0; i < examples.size(); i++) {
      TrainingExample e = examples.get(i);
      ids.add(e.getExampleId());
      queries.add(task.queryText(e.getQuery()));
      Map<String, TrainingPassage> byId = new HashMap<>();
      e.getCandidates().forEach(c -> byId.put(c.getPassageId(), c));
      // With fewer slots than positives, the first in the chosen order train.
      List<TrainingPassage> pos = PassageSide.orderedPositives(e, order).stream().filter(byId::containsKey).map(byId::get).toList();
      List<TrainingPassage> slots = new ArrayList<>(pos.subList(0, Math.min(positives, pos.size())));
      int positiveCount = slots.size();
      for (int s = positiveCount; s < positives; s++) slots.add(null);
      // LLM-dispreferred negatives first, then the ANCE-style sample from the retriever's ranks, then
      // the LLM's least preferred other candidates: they still teach the ranking.
      List<TrainingPassage> neg = new ArrayList<>();
      List<String> negativeIds = new ArrayList<>(e.getHardNegatives());
      negativeIds.addAll(e.getSampledNegatives());
      for (String id : negativeIds) {
        TrainingPassage p = byId.get(id);
        if (neg.size() < negatives && p != null && !neg.contains(p) && !e.getPositives().contains(id)) neg.add(p);
      }
      e.getCandidates().stream()
          .filter(c -> c.getTeacherScore() != null && !e.getPositives().contains(c.getPassageId()) && !neg.contains(c))
          .sorted(Comparator.comparingDouble(TrainingPassage::getTeacherScore))
          .limit(Math.max(0, negatives - neg.size()))
          .forEach(neg::add);
      slots.addAll(neg);
      for (int j = 0; j < perQuery; j++) {
        int col = i * perQuery + j;
        TrainingPassage p = j < slots.size() ? slots.get(j) : null;
        if (p == null) {
          keys.add("");
          continue;
        }
        keys.add(passageText(p));
        keyValid[col] = 1;
        positive[col] = j < positives ? 1 : 0;
        if (p.getTeacherScore() != null) {
          teacher[col] = p.getTeacherScore().floatValue();
          teacherValid[col] = 1;
        }
      }
    }
    return new TrainingBatch(task, ids, queries, keys, keyValid, positive, teacher, teacherValid, perQuery);
  }

  /** Trainable: at least one positive has its text among the candidates. */
  static boolean usable(TrainingExample e) {
    return e.getCandidates().stream().anyMatch(c -> e.getPositives().contains(c.getPassageId()));
  }

  static String passageText(TrainingPassage p) {
    return p.getTitle() == null || p.getTitle().isBlank() ? p.getText() : p.getTitle() + ". " + p.getText();
  }
}

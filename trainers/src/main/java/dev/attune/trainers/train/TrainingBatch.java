package dev.attune.trainers.train;

import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One step's data: B queries, each with exactly {@code 1 + negatives} keys (positive first), padded
 * keys masked. Key j of query i sits at column {@code i * (1 + negatives) + j}.
 */
record TrainingBatch(
    List<String> queries, List<String> keys, float[] keyValid, float[] teacher, float[] teacherValid, int keysPerQuery) {

  static TrainingBatch of(List<TrainingExample> examples, int negatives, Random random) {
    int perQuery = 1 + negatives;
    List<String> queries = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    float[] keyValid = new float[examples.size() * perQuery];
    float[] teacher = new float[examples.size() * perQuery];
    float[] teacherValid = new float[examples.size() * perQuery];
    for (int i = 0; i < examples.size(); i++) {
      TrainingExample e = examples.get(i);
      queries.add(queryText(e));
      Map<String, TrainingPassage> byId = new HashMap<>();
      e.getCandidates().forEach(c -> byId.put(c.getPassageId(), c));
      List<String> positives = e.getPositives().stream().filter(byId::containsKey).toList();
      TrainingPassage positive = byId.get(positives.get(random.nextInt(positives.size())));
      List<TrainingPassage> chosen = new ArrayList<>();
      chosen.add(positive);
      // LLM-dispreferred negatives first, then the ANCE-style sample from the retriever's ranks.
      List<String> negativeIds = new ArrayList<>(e.getHardNegatives());
      negativeIds.addAll(e.getSampledNegatives());
      for (String id : negativeIds) {
        if (chosen.size() == perQuery) break;
        if (byId.containsKey(id) && !chosen.contains(byId.get(id))) chosen.add(byId.get(id));
      }
      // Fill with the LLM's least preferred other candidates: they still teach the ranking.
      e.getCandidates().stream()
          .filter(c -> c.getTeacherScore() != null && !e.getPositives().contains(c.getPassageId()) && !chosen.contains(c))
          .sorted(Comparator.comparingDouble(TrainingPassage::getTeacherScore))
          .limit(Math.max(0, perQuery - chosen.size()))
          .forEach(chosen::add);
      for (int j = 0; j < perQuery; j++) {
        int col = i * perQuery + j;
        if (j < chosen.size()) {
          TrainingPassage p = chosen.get(j);
          keys.add(passageText(p));
          keyValid[col] = 1;
          if (p.getTeacherScore() != null) {
            teacher[col] = p.getTeacherScore().floatValue();
            teacherValid[col] = 1;
          }
        } else {
          keys.add(passageText(positive));
        }
      }
    }
    return new TrainingBatch(queries, keys, keyValid, teacher, teacherValid, perQuery);
  }

  static boolean usable(TrainingExample e) {
    return e.getCandidates().stream().anyMatch(c -> e.getPositives().contains(c.getPassageId()));
  }

  static String queryText(TrainingExample e) {
    return e.getInstruction() == null ? e.getQuery() : e.getInstruction() + e.getQuery();
  }

  static String passageText(TrainingPassage p) {
    return p.getTitle() == null || p.getTitle().isBlank() ? p.getText() : p.getTitle() + ". " + p.getText();
  }
}

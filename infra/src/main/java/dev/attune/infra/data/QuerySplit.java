package dev.attune.infra.data;

import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.trainers.train.TrainerServiceConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A data set's questions cut three ways: evaluation questions and the trainer's reference set, which
 * never reach the topics, and traffic to replay. One in five questions (by a hash of its id, the
 * trainer's hash) is kept away from traffic. The questions are shuffled with a fixed seed first:
 * BEIR files list them article by article, so taking the first N would train on a few articles and
 * evaluate on others, unlike live traffic spread over the corpus.
 */
public record QuerySplit(List<RetrievalMetrics.Judged> evaluation, List<RetrievalMetrics.Judged> reference, List<RetrievalMetrics.Judged> traffic) {
  private static final long SEED = 20231015L;

  public static QuerySplit of(List<RetrievalMetrics.Judged> questions, int evaluationSize, int referenceSize, int trafficSize) {
    List<RetrievalMetrics.Judged> shuffled = new ArrayList<>(questions);
    Collections.shuffle(shuffled, new Random(SEED));
    List<RetrievalMetrics.Judged> evaluation = new ArrayList<>();
    List<RetrievalMetrics.Judged> reference = new ArrayList<>();
    List<RetrievalMetrics.Judged> traffic = new ArrayList<>();
    for (RetrievalMetrics.Judged q : shuffled) {
      if (TrainerServiceConfig.heldOut("eval:" + q.queryId(), 20)) {
        if (evaluation.size() < evaluationSize) evaluation.add(q);
        else if (reference.size() < referenceSize) reference.add(q);
      } else if (traffic.size() < trafficSize) {
        traffic.add(q);
      }
    }
    return new QuerySplit(evaluation, reference, traffic);
  }
}

package dev.attune.trainers.bridge;

import dev.attune.models.bridge.Bridge;
import dev.attune.models.bridge.BridgeExample;

import dev.attune.trainers.eval.RetrievalMetrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How good passage sequences are for their queries: mean downstream utility (the reward the RL stage
 * maximises), the LLM's mean answer log-likelihood given the sequence, answer recall (share of
 * queries whose sequence holds a passage containing an answer) and mean length.
 */
public final class BridgeEvaluation {
  public static final String UTILITY = "utility";
  public static final String LOG_LIKELIHOOD = "answer_log_likelihood";
  public static final String ANSWER_RECALL = "answer_recall";
  public static final String LENGTH = "length";

  private BridgeEvaluation() {}

  /**
   * The comparison BGM reports, one row per way of choosing: the retriever's top 1 and top {@code k}
   * as is, the silver sequences (the miner's upper reference), then each bridge in order.
   */
  public static Map<String, Map<String, Double>> table(List<BridgeExample> examples, SequenceReward reward, int k, Map<String, Bridge> bridges) {
    Map<String, Map<String, Double>> rows = new LinkedHashMap<>();
    for (int top : k == 1 ? List.of(1) : List.of(1, k)) {
      rows.put("retriever top-" + top, evaluate(examples, examples.stream().map(e -> e.topK(top)).toList(), reward));
    }
    rows.put("silver", evaluate(examples, examples.stream().map(BridgeExample::silver).toList(), reward));
    bridges.forEach((name, bridge) -> rows.put(name, evaluate(examples, bridge.select(examples), reward)));
    return rows;
  }

  public static Map<String, Double> evaluate(List<BridgeExample> examples, List<List<Integer>> sequences, SequenceReward reward) {
    if (examples.size() != sequences.size()) throw new IllegalArgumentException(examples.size() + " examples but " + sequences.size() + " sequences");
    double utility = 0, likelihood = 0, recall = 0, length = 0;
    int n = examples.size();
    for (int i = 0; i < n; i++) {
      BridgeExample e = examples.get(i);
      List<Integer> s = sequences.get(i);
      utility += reward.reward(e, s) / n;
      likelihood += reward.answerLogLikelihood(e, s) / n;
      List<String> texts = e.passages(s).stream().map(BridgeExample.Passage::text).toList();
      recall += RetrievalMetrics.answerHit(texts, e.answers(), texts.size()) / n;
      length += (double) s.size() / n;
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put(UTILITY, utility);
    out.put(LOG_LIKELIHOOD, likelihood);
    out.put(ANSWER_RECALL, recall);
    out.put(LENGTH, length);
    return out;
  }
}

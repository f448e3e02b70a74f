package dev.attune.trainers.bridge;

import dev.attune.models.bridge.BridgeExample;

import java.util.List;

/**
 * The downstream reward of a passage sequence for a query: what the RL stage maximises and the
 * evaluation reports as utility. Infra provides it from the offline scorer or an OpenAI-compatible
 * LLM (the LLM's mean answer log-likelihood given the sequence as its context).
 */
public interface SequenceReward {
  /** Names the reward in reports, e.g. the scoring LLM's id. */
  String name();

  double reward(BridgeExample example, List<Integer> sequence);

  /** The LLM's mean answer log-likelihood given the sequence, reported next to the reward; the reward itself unless it adds costs. */
  default double answerLogLikelihood(BridgeExample example, List<Integer> sequence) {
    return reward(example, sequence);
  }
}

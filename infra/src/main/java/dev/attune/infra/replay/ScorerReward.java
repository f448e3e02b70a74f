package dev.attune.infra.replay;

import dev.attune.trainers.eval.LlmScorer;

import dev.attune.models.bridge.BridgeExample;
import dev.attune.trainers.bridge.SequenceReward;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A bridge reward from an {@link LlmScorer}: the LLM's mean answer log-likelihood of the query's first
 * known answer (the one the replay scores passages with) with the sequence's passages, in order and
 * with repeats, as its context, plus {@code ln(1 − distraction)} per passage after the first.
 *
 * <p>The distraction term is the miner's utility model ({@code SilverSearchConfig}) in log space. It
 * is for the offline {@link UnigramLmScorer}: more text holding the answer's words only raises a
 * unigram likelihood, while real LLMs are distracted by extra passages (BGM's selection gap). A real
 * LLM behind {@link OpenAiCompatibleScorer} shows its distraction in its own likelihood: use 0.
 * An empty sequence is scored with an empty context.
 */
public final class ScorerReward implements SequenceReward {
  static final String SEPARATOR = "\n\n";
  private final LlmScorer scorer;
  private final double distraction;

  public ScorerReward(LlmScorer scorer, double distraction) {
    if (!(distraction >= 0 && distraction < 1)) throw new IllegalArgumentException("distraction (" + distraction + ") must be in [0, 1)");
    this.scorer = scorer;
    this.distraction = distraction;
  }

  @Override
  public String name() {
    return scorer.llmId() + " answer log-likelihood" + (distraction > 0
        ? String.format(java.util.Locale.ROOT, ", %.3f per extra passage", Math.log(1 - distraction)) : "");
  }

  @Override
  public double reward(BridgeExample example, List<Integer> sequence) {
    return answerLogLikelihood(example, sequence) + Math.max(0, sequence.size() - 1) * Math.log(1 - distraction);
  }

  @Override
  public double answerLogLikelihood(BridgeExample example, List<Integer> sequence) {
    if (example.answers().isEmpty()) throw new IllegalArgumentException("example " + example.id() + " has no answer to score");
    String context = example.passages(sequence).stream().map(BridgeExample.Passage::text).collect(Collectors.joining(SEPARATOR));
    return scorer.score(example.query(), context, example.answers().get(0));
  }
}

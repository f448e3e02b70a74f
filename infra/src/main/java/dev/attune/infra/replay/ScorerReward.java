package dev.attune.infra.replay;

import dev.attune.trainers.bridge.BridgeExample;
import dev.attune.trainers.bridge.SequenceReward;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A bridge reward from an {@link LlmScorer}: the LLM's mean answer log-likelihood of the query's first
 * known answer (the one the replay scores passages with) with the sequence's passages, in order and
 * with repeats, as its context. The
 * offline {@link UnigramLmScorer} and a real LLM behind {@link OpenAiCompatibleScorer} both fit. An
 * empty sequence is scored with an empty context.
 */
public final class ScorerReward implements SequenceReward {
  static final String SEPARATOR = "\n\n";
  private final LlmScorer scorer;

  public ScorerReward(LlmScorer scorer) {
    this.scorer = scorer;
  }

  @Override
  public String name() {
    return scorer.llmId() + " answer log-likelihood";
  }

  @Override
  public double reward(BridgeExample example, List<Integer> sequence) {
    if (example.answers().isEmpty()) throw new IllegalArgumentException("example " + example.id() + " has no answer to score");
    String context = example.passages(sequence).stream().map(BridgeExample.Passage::text).collect(Collectors.joining(SEPARATOR));
    return scorer.score(example.query(), context, example.answers().get(0));
  }
}

package dev.attune.infra.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.attune.models.bridge.BridgeExample;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bridge reward: the scorer on the whole sequence as context, plus the distraction cost. */
class ScorerRewardTest {
  static final List<String> TEXTS = List.of("Denver Broncos won the game", "Carolina Panthers lost the game", "The weather was mild");
  static final UnigramLmScorer SCORER = new UnigramLmScorer(TEXTS, 2.0);
  static final BridgeExample EXAMPLE = new BridgeExample("q1", "qa", "Who won?",
      List.of(new BridgeExample.Passage("p0", "Super Bowl", TEXTS.get(0)), new BridgeExample.Passage("p1", null, TEXTS.get(1)),
          new BridgeExample.Passage("p2", null, TEXTS.get(2))),
      List.of(0), 1.0, List.of("Denver Broncos", "Broncos"));

  @Test
  void scores_the_first_answer_with_the_sequence_joined_in_order_as_context() {
    ScorerReward reward = new ScorerReward(SCORER, 0);

    assertThat(reward.reward(EXAMPLE, List.of(0, 2)))
        .isEqualTo(SCORER.score("Who won?", TEXTS.get(0) + "\n\n" + TEXTS.get(2), "Denver Broncos"));
    assertThat(reward.reward(EXAMPLE, List.of(0))).isGreaterThan(reward.reward(EXAMPLE, List.of(1)));
    assertThat(reward.reward(EXAMPLE, List.of())).as("empty context").isEqualTo(SCORER.score("Who won?", "", "Denver Broncos"));
  }

  @Test
  void adds_the_log_distraction_cost_per_extra_passage_but_reports_the_plain_likelihood() {
    ScorerReward reward = new ScorerReward(SCORER, 0.2);
    double plain = SCORER.score("Who won?", TEXTS.get(0) + "\n\n" + TEXTS.get(0) + "\n\n" + TEXTS.get(1), "Denver Broncos");

    assertThat(reward.reward(EXAMPLE, List.of(0, 0, 1))).isCloseTo(plain + 2 * Math.log(0.8), within(1e-12));
    assertThat(reward.answerLogLikelihood(EXAMPLE, List.of(0, 0, 1))).isEqualTo(plain);
    assertThat(reward.reward(EXAMPLE, List.of(0))).isEqualTo(reward.answerLogLikelihood(EXAMPLE, List.of(0)));
  }
}

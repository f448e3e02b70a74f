package dev.attune.infra.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class LlmScorerTest {
  @Test
  void unigram_scorer_matches_hand_computed_dirichlet_likelihood() {
    // Collection: "a b" + "c c" → 4 tokens; P(b|C) = (1 + 0.5) / 5 = 0.3.
    UnigramLmScorer scorer = new UnigramLmScorer(List.of("a b", "c c"), 2.0);

    // Passage "a b": (1 + 2 * 0.3) / (2 + 2) = 0.4.
    assertThat(scorer.score("q", "a b", "B")).isCloseTo(Math.log(0.4), within(1e-9));
  }

  @Test
  void unigram_scorer_prefers_the_passage_holding_the_answer() {
    UnigramLmScorer scorer = new UnigramLmScorer(List.of("Denver Broncos won", "Carolina Panthers lost"), 2000);

    assertThat(scorer.score("who won", "Denver Broncos won", "Denver Broncos"))
        .isGreaterThan(scorer.score("who won", "Carolina Panthers lost", "Denver Broncos"));
  }
}

package dev.attune.infra.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
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

  @Test
  void openai_scorer_averages_the_logprobs_of_answer_tokens_only() throws Exception {
    String prefix = OpenAiCompatibleScorer.prompt("Who?", "Paris is in France.");
    var completion = new ObjectMapper().readTree("""
        {"choices": [{"logprobs": {
          "token_logprobs": [null, -0.5, -0.25, -1.0, -3.0],
          "text_offset": [0, 5, %d, %d, %d]}}]}
        """.formatted(prefix.length() - 3, prefix.length(), prefix.length() + 4));

    assertThat(OpenAiCompatibleScorer.answerLogLikelihood(completion, prefix.length())).isCloseTo(-2.0, within(1e-9));
  }

  @Test
  void openai_scorer_explains_a_server_without_echo() throws Exception {
    var completion = new ObjectMapper().readTree("{\"choices\": [{\"text\": \"\"}]}");

    assertThatThrownBy(() -> OpenAiCompatibleScorer.answerLogLikelihood(completion, 10))
        .hasMessageContaining("echo");
  }
}

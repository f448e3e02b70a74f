package dev.attune.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Parsing an echo; the client against a real server is {@code infra}'s {@code CompletionsServerTest}. */
class CompletionsClientTest {
  @Test
  void the_score_is_the_mean_logprob_of_the_answer_tokens_only() throws Exception {
    String prefix = CompletionsClient.prefix("Who?", "Paris is in France.");
    var choice = new ObjectMapper().readTree("""
        {"logprobs": {
          "token_logprobs": [null, -0.5, -0.25, -1.0, -3.0],
          "text_offset": [0, 5, %d, %d, %d]}}
        """.formatted(prefix.length() - 3, prefix.length(), prefix.length() + 4));

    assertThat(CompletionsClient.answerLogLikelihood(choice, prefix.length())).isCloseTo(-2.0, within(1e-9));
  }

  @Test
  void a_server_without_echo_or_with_non_numbers_is_explained() throws Exception {
    var noEcho = new ObjectMapper().readTree("{\"text\": \"\"}");
    var nonNumber = new ObjectMapper().readTree("{\"logprobs\": {\"token_logprobs\": [\"x\"], \"text_offset\": [20]}}");

    assertThatThrownBy(() -> CompletionsClient.answerLogLikelihood(noEcho, 10)).hasMessageContaining("echo");
    assertThatThrownBy(() -> CompletionsClient.answerLogLikelihood(nonNumber, 10)).hasMessageContaining("not a finite number");
  }

  @Test
  void settings_are_checked_and_the_worst_case_covers_every_attempt_and_wait() {
    var settings = new CompletionsClient.Settings(URI.create("http://x"), "m", 1, 1, Duration.ofSeconds(2), 3, Duration.ofSeconds(1));

    // 3 × 2 s + (1 s + 2 s) × 1.25 jitter
    assertThat(settings.worstCase()).isEqualTo(Duration.ofMillis(9_750));
    assertThatThrownBy(() -> new CompletionsClient.Settings(URI.create("http://x"), "m", 0, 1, Duration.ofSeconds(2), 3, Duration.ZERO))
        .hasMessageContaining("maxConcurrency");
  }
}

package dev.attune.infra.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.attune.infra.replay.OpenAiCompatibleScorer;
import dev.attune.infra.replay.UnigramLmScorer;
import dev.attune.streams.scoring.CompletionsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The scoring client against {@code attune llm-serve}'s server: the same numbers, batching, retries, refusals. */
class CompletionsServerTest {
  private static final List<String> CORPUS = List.of("Denver Broncos won Super Bowl 50.", "Carolina Panthers lost.", "Santa Clara hosted it.");
  private final UnigramLmScorer model = new UnigramLmScorer(CORPUS, UnigramLmScorer.DEFAULT_MU);
  private final EndpointFaults faults = new EndpointFaults();
  private final CompletionsServer server = new CompletionsServer(model, "127.0.0.1", 0, faults);

  @AfterEach
  void stop() {
    server.close();
  }

  private CompletionsClient client(int concurrency, int batch, int attempts) {
    return new CompletionsClient(new CompletionsClient.Settings(URI.create("http://127.0.0.1:" + server.port()), "stand-in", concurrency, batch,
        Duration.ofMillis(500), attempts, Duration.ofMillis(20)), null);
  }

  private List<CompletionsClient.Prompt> prompts(int n) {
    List<CompletionsClient.Prompt> prompts = new ArrayList<>();
    for (int i = 0; i < n; i++) prompts.add(new CompletionsClient.Prompt("who won?", CORPUS.get(i % CORPUS.size()), i % 2 == 0 ? "Denver Broncos" : "the Panthers"));
    return prompts;
  }

  @Test
  void batched_scores_over_the_protocol_equal_the_offline_scorer_in_the_prompts_order() {
    CompletionsClient client = client(2, 4, 1);
    List<CompletionsClient.Prompt> prompts = prompts(10);

    List<Double> scores = client.scoreNow(prompts);

    assertThat(client.requests()).as("10 prompts in batches of 4").isEqualTo(3);
    assertThat(server.prompts()).isEqualTo(10);
    for (int i = 0; i < prompts.size(); i++) {
      var p = prompts.get(i);
      assertThat(scores.get(i)).isCloseTo(model.score(p.question(), p.passage(), p.answer()), within(1e-12));
    }
    assertThat(new OpenAiCompatibleScorer(client.settings()).score("who won?", CORPUS.get(0), "Denver Broncos"))
        .isCloseTo(model.score("who won?", CORPUS.get(0), "Denver Broncos"), within(1e-12));
  }

  @Test
  void errors_stalls_and_garbage_are_retried_until_an_answer_comes() {
    faults.stallFor(2_000).inject(EndpointFaults.Fault.ERROR, 1).inject(EndpointFaults.Fault.STALL, 1).inject(EndpointFaults.Fault.GARBAGE, 1);
    CompletionsClient client = client(1, 8, 4);

    List<Double> scores = client.scoreNow(prompts(3));

    assertThat(scores).hasSize(3);
    assertThat(client.retries()).isEqualTo(3);
    assertThat(faults.pending()).isZero();
  }

  @Test
  void a_request_failing_every_attempt_says_what_each_got_and_a_refused_one_is_not_repeated() {
    faults.inject(EndpointFaults.Fault.ERROR, 1).inject(EndpointFaults.Fault.GARBAGE, 1);
    CompletionsClient twice = client(1, 8, 2);

    assertThatThrownBy(() -> twice.scoreNow(prompts(2))).isInstanceOf(CompletionsClient.ScoringFailure.class)
        .hasMessageContaining("failed 2 times").hasMessageContaining("attempt 1: HTTP 500").hasMessageContaining("attempt 2: not a scoring answer");

    CompletionsClient tooMany = client(1, CompletionsServer.MAX_PROMPTS + 1, 5);
    assertThatThrownBy(() -> tooMany.scoreNow(prompts(CompletionsServer.MAX_PROMPTS + 1))).isInstanceOf(CompletionsClient.ScoringFailure.class)
        .hasMessageContaining("refused the request").hasMessageContaining("HTTP 400").hasMessageContaining("at most " + CompletionsServer.MAX_PROMPTS);
    assertThat(tooMany.requests()).isEqualTo(1);
  }

  @Test
  void the_server_only_scores_and_says_so() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hello\", \"max_tokens\": 16}")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("this server only scores");
  }

  @Test
  void requests_beyond_the_concurrency_wait_their_turn_and_are_all_answered() {
    CompletionsClient client = client(3, 1, 1);

    List<Double> scores = client.score(prompts(40)).join();

    assertThat(scores).hasSize(40).doesNotContainNull();
    assertThat(client.requests()).isEqualTo(40);
    assertThat(server.peakInFlight()).isBetween(1, 3);
  }
}

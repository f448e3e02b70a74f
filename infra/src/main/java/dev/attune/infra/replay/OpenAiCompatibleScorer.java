package dev.attune.infra.replay;

import dev.attune.schemas.SignalKind;
import dev.attune.streams.scoring.CompletionsClient;
import dev.attune.trainers.eval.LlmScorer;
import java.util.List;

/**
 * Answer log-likelihood from a real LLM behind an OpenAI-compatible completions endpoint that can
 * echo the prompt with logprobs (vLLM, llama.cpp server, {@code attune llm-serve}), one pair at a
 * time, through the scoring stage's {@link CompletionsClient} (same prompt, parsing, timeouts and
 * retries). For evaluation and the bridge's reward; live traffic is scored by {@code attune score}.
 */
public final class OpenAiCompatibleScorer implements LlmScorer {
  private final CompletionsClient client;

  /** The API key, if any, comes from {@value CompletionsClient#API_KEY_ENV}. */
  public OpenAiCompatibleScorer(CompletionsClient.Settings settings) {
    this.client = new CompletionsClient(settings);
  }

  @Override
  public String llmId() {
    return client.settings().model();
  }

  @Override
  public SignalKind signalKind() {
    return SignalKind.ANSWER_LOG_LIKELIHOOD;
  }

  @Override
  public double score(String question, String passage, String answer) {
    return client.scoreNow(List.of(new CompletionsClient.Prompt(question, passage, answer))).get(0);
  }
}

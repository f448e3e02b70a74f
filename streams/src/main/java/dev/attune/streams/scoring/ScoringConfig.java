package dev.attune.streams.scoring;

import dev.attune.schemas.Limits;
import java.io.Serializable;
import java.util.Objects;

/**
 * The scoring stage's rules.
 *
 * @param endpoint the LLM endpoint and how to call it
 * @param llmId the id written on the feedback it emits (the LLM whose preference the scores are);
 *     usually the endpoint's model name
 * @param budget what it may spend, and on what
 * @param requestWaitMs how long a request's query, retrieval and answers wait for each other from the
 *     first of them; an answer still without its query or retrieval then is dead-lettered UNJOINABLE
 * @param passageWaitMs how long a passage the corpus does not hold yet is waited for
 * @param limits intake size limits
 */
public record ScoringConfig(CompletionsClient.Settings endpoint, String llmId, ScoringBudget budget, long requestWaitMs,
    long passageWaitMs, Limits limits) implements Serializable {
  public ScoringConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(limits, "limits");
    if (llmId == null || llmId.isBlank()) throw new IllegalArgumentException("llmId is blank");
    if (passageWaitMs < 0) throw new IllegalArgumentException("passageWaitMs (" + passageWaitMs + ") must be >= 0");
    if (requestWaitMs < passageWaitMs) {
      throw new IllegalArgumentException("requestWaitMs (" + requestWaitMs + ") must be >= passageWaitMs (" + passageWaitMs + ")");
    }
  }

  /** The endpoint's model as LLM id, no budget, requests wait 10 min, passages 1 min. */
  public static ScoringConfig of(CompletionsClient.Settings endpoint) {
    return new ScoringConfig(endpoint, endpoint.model(), ScoringBudget.unlimited(), 600_000, 60_000, Limits.defaults());
  }

  public ScoringConfig withBudget(ScoringBudget newBudget) {
    return new ScoringConfig(endpoint, llmId, newBudget, requestWaitMs, passageWaitMs, limits);
  }

  public ScoringConfig withLlmId(String id) {
    return new ScoringConfig(endpoint, id, budget, requestWaitMs, passageWaitMs, limits);
  }

  public ScoringConfig withWaits(long requestMs, long passageMs) {
    return new ScoringConfig(endpoint, llmId, budget, requestMs, passageMs, limits);
  }
}

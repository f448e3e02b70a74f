package dev.attune.infra.cli;

import dev.attune.schemas.Limits;
import dev.attune.streams.scoring.CompletionsClient;
import dev.attune.streams.scoring.ScoringBudget;
import dev.attune.streams.scoring.ScoringConfig;
import java.net.URI;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The scoring stage's endpoint, budget and waits, as options. */
public final class ScoringOptions {
  @Option(names = "--llm-endpoint", required = true, description = "OpenAI-compatible completions server with echo + logprobs (vLLM, llama.cpp, `attune llm-serve`). The API key, if any, comes from $" + CompletionsClient.API_KEY_ENV + ".")
  URI endpoint;
  @Option(names = "--llm-model", defaultValue = "default", description = "Model name sent to the server (default: ${DEFAULT-VALUE}).") String model;
  @Option(names = "--llm-id", description = "LLM id written on the feedback (default: the model name).") String llmId;
  @Option(names = "--concurrency", defaultValue = "4", description = "HTTP requests in flight at most (default: ${DEFAULT-VALUE}).") int concurrency;
  @Option(names = "--batch", defaultValue = "16", description = "Prompts per HTTP request at most; 1 for servers that take one prompt (default: ${DEFAULT-VALUE}).") int batch;
  @Option(names = "--timeout-ms", defaultValue = "30000", description = "Per HTTP request (default: ${DEFAULT-VALUE}).") long timeoutMs;
  @Option(names = "--attempts", defaultValue = "5", description = "Attempts per request before the answer is dead-lettered (default: ${DEFAULT-VALUE}).") int attempts;
  @Option(names = "--backoff-ms", defaultValue = "500", description = "First retry's wait, doubled per retry up to 30 s (default: ${DEFAULT-VALUE}).") long backoffMs;
  @Option(names = "--max-pairs-per-second", defaultValue = "0", description = "Budget: (question, passage) pairs sent per second at most; a request that does not fit is skipped (0 = no cap; default: ${DEFAULT-VALUE}).") double maxPairsPerSecond;
  @Option(names = "--sample", defaultValue = "1.0", description = "Share of requests scored, uncertain ones always (default: ${DEFAULT-VALUE}).") double sample;
  @Option(names = "--uncertain-margin", defaultValue = "0.02", description = "A request whose top two retrieval scores are closer than this is uncertain: always sampled, with a reserved quarter of the budget (default: ${DEFAULT-VALUE}).") double uncertainMargin;
  @Option(names = "--cache-entries", defaultValue = "100000", description = "Pairs whose score is reused instead of sent again, per task (0 = no cache; default: ${DEFAULT-VALUE}).") int cacheEntries;
  @Option(names = "--cache-ttl-s", defaultValue = "3600", description = "How long a cached score is reused (default: ${DEFAULT-VALUE}).") long cacheTtlS;
  @Option(names = "--request-wait-s", defaultValue = "600", description = "How long an answer waits for its query and retrieval (default: ${DEFAULT-VALUE}).") long requestWaitS;
  @Option(names = "--passage-wait-s", defaultValue = "60", description = "How long a passage the corpus does not hold yet is waited for (default: ${DEFAULT-VALUE}).") long passageWaitS;

  ScoringConfig config(Limits limits) {
    CompletionsClient.Settings settings = new CompletionsClient.Settings(endpoint, model, concurrency, batch, Duration.ofMillis(timeoutMs),
        attempts, Duration.ofMillis(backoffMs));
    ScoringBudget budget = new ScoringBudget(maxPairsPerSecond, sample, uncertainMargin, ScoringBudget.unlimited().reservedShare(),
        cacheEntries, cacheTtlS * 1000);
    return new ScoringConfig(settings, llmId == null ? model : llmId, budget, requestWaitS * 1000, passageWaitS * 1000, limits);
  }
}

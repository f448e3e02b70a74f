package dev.attune.streams.scoring;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.PassageScore;
import dev.attune.schemas.SignalKind;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.KeyedBytes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores a task's (question, passage) pairs with the LLM, asynchronously: pairs scored lately come
 * from the {@link ScoreCache}; the rest must fit the budget ({@link PairRate}, this task's share of
 * {@code maxPairsPerSecond}) or the whole request is skipped; then the {@link CompletionsClient}
 * sends them (batched, bounded, retried). The outcome is an {@code LlmFeedbackEvent} with every
 * pair's answer log-likelihood, or, when the endpoint failed on every attempt, a dead letter
 * carrying the answer and the reason. Flink checkpoints the tasks in flight and re-sends them
 * after a restart, so a crash loses none.
 */
public final class LlmScoring extends RichAsyncFunction<ScoringTask, ScoringOutcome> {
  private static final Logger LOG = LoggerFactory.getLogger(LlmScoring.class);
  private static final long REPORT_EVERY_MS = 30_000;
  private final ScoringConfig config;
  private transient CompletionsClient client;
  private transient ScoreCache cache;
  private transient PairRate rate;
  private transient long sent;
  private transient long cached;
  private transient long skipped;
  private transient long lastReportMs;

  public LlmScoring(ScoringConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext openContext) {
    client = new CompletionsClient(config.endpoint());
    cache = new ScoreCache(config.budget().cacheEntries(), config.budget().cacheTtlMs());
    int tasks = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    rate = new PairRate(config.budget().maxPairsPerSecond() / tasks, config.budget().reservedShare(), System.nanoTime());
    getRuntimeContext().getMetricGroup().gauge("llmRequests", () -> client.requests());
    getRuntimeContext().getMetricGroup().gauge("llmRetries", () -> client.retries());
    lastReportMs = System.currentTimeMillis();
  }

  @Override
  public void asyncInvoke(ScoringTask task, ResultFuture<ScoringOutcome> result) {
    long now = System.currentTimeMillis();
    int n = task.passageIds.size();
    Double[] scores = new Double[n];
    List<Integer> misses = new ArrayList<>();
    List<String> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = ScoreCache.key(config.llmId(), task.query, task.texts.get(i), task.answer.text);
      keys.add(key);
      scores[i] = cache.get(key, now);
      if (scores[i] == null) misses.add(i);
    }
    if (!rate.tryTake(misses.size(), task.uncertain, System.nanoTime())) {
      skipped++;
      report(now);
      result.complete(List.of(ScoringOutcome.skipped()));
      return;
    }
    int fromCache = n - misses.size();
    cached += fromCache;
    sent += misses.size();
    report(now);
    if (misses.isEmpty()) {
      result.complete(List.of(ScoringOutcome.feedback(feedback(task, scores, now), 0, fromCache)));
      return;
    }
    List<CompletionsClient.Prompt> prompts = misses.stream().map(i -> new CompletionsClient.Prompt(task.query, task.texts.get(i), task.answer.text)).toList();
    client.score(prompts).whenComplete((values, error) -> {
      if (error != null) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        result.complete(List.of(ScoringOutcome.deadLetter(failed(task, cause.getMessage()), misses.size(), fromCache)));
        return;
      }
      long at = System.currentTimeMillis();
      for (int j = 0; j < misses.size(); j++) {
        scores[misses.get(j)] = values.get(j);
        cache.put(keys.get(misses.get(j)), values.get(j), at);
      }
      result.complete(List.of(ScoringOutcome.feedback(feedback(task, scores, at), misses.size(), fromCache)));
    });
  }

  @Override
  public void timeout(ScoringTask task, ResultFuture<ScoringOutcome> result) {
    result.complete(List.of(ScoringOutcome.deadLetter(failed(task, "no result within the stage's timeout of " + timeoutMs(config) + " ms"),
        0, 0)));
  }

  /**
   * The async operator's timeout, a backstop: the client's own attempts end a task first. It covers
   * a request waiting for a slot behind the one before it, then its batches' every attempt in two
   * rounds (a task of more passages than a batch, at the concurrency), and a margin.
   */
  static long timeoutMs(ScoringConfig config) {
    return 3 * config.endpoint().worstCase().toMillis() + 30_000;
  }

  private KeyedBytes feedback(ScoringTask task, Double[] scores, long now) {
    List<PassageScore> passageScores = new ArrayList<>(scores.length);
    for (int i = 0; i < scores.length; i++) passageScores.add(new PassageScore(task.passageIds.get(i), scores[i]));
    LlmFeedbackEvent event = LlmFeedbackEvent.newBuilder()
        // Derived from the answer's id: a re-sent task after a restart is the same event, not a second one.
        .setEventId("scored:" + task.answer.eventId)
        .setRequestId(task.requestId)
        .setTimestampMs(now)
        .setLlmId(config.llmId())
        .setSignalKind(SignalKind.ANSWER_LOG_LIKELIHOOD)
        .setPassageScores(passageScores)
        .setAnswer(task.answer.text)
        .build();
    return new KeyedBytes(task.requestId, AvroCodec.of(LlmFeedbackEvent.class).encode(event));
  }

  private KeyedBytes failed(ScoringTask task, String reason) {
    return DeadLetterOutput.of(RequestJoin.STAGE, task.answer.record, DeadLetterReason.LLM_ENDPOINT_FAILED,
        "scoring " + task.passageIds.size() + " passages of request " + task.requestId + " with " + config.llmId() + ": " + reason);
  }

  /** What this task spent and skipped, in the log every 30 s (the job's counts are metrics and accumulators, kept by the {@link OutcomeRouter}). */
  private void report(long now) {
    if (now - lastReportMs < REPORT_EVERY_MS) return;
    lastReportMs = now;
    LOG.info("scoring task {}: {} pairs sent to {} in {} HTTP requests ({} retries), {} pairs from the cache, {} requests skipped over budget",
        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), sent, config.llmId(), client.requests(), client.retries(), cached, skipped);
  }
}

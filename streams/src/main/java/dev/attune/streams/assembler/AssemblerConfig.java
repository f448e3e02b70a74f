package dev.attune.streams.assembler;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Limits;
import dev.attune.streams.Restarts;
import dev.attune.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the {@link EpisodeAssembler}.
 *
 * @param kafka how to reach Kafka: bootstrap servers and client properties (security, client id)
 * @param applicationId Kafka Streams application id (consumer group, internal topic prefix)
 * @param topics topic names
 * @param window event-time length of an episode: from its earliest event's {@code timestampMs}
 * @param grace how long after the window (in event time) late and out-of-order events are still
 *     joined; the episode closes when the assembler's event clock passes window end + grace, or when
 *     window + grace has passed on the wall clock since its first event arrived (so an idle stream
 *     still flushes)
 * @param missingLlmFeedback what to do at close with an episode that has query, retrieval and human
 *     labels but no LLM feedback
 * @param closedRetention how long a closed request is remembered to recognise late and duplicate events
 * @param closeCheckInterval how often open episodes are checked for closing
 * @param closeWhenComplete emit as soon as query, retrieval, LLM and human feedback are all present,
 *     instead of waiting for the window to close; with several LLMs scoring the same requests set it
 *     false, or the feedback of all but the first LLM arrives after the close and is dead-lettered
 *     {@code LATE}
 * @param stateDir local state directory
 * @param replicationFactor replication of internal topics (1 on a single broker)
 * @param limits intake size limits; an event that would grow its episode past {@code maxRecordBytes}
 *     is dead-lettered {@code OVERSIZED} (the changelog and episode records must fit the broker)
 * @param restarts how often a failed stream thread is replaced before the assembler gives up
 */
public record AssemblerConfig(
    KafkaSettings kafka,
    String applicationId,
    Topics topics,
    Duration window,
    Duration grace,
    MissingLlmFeedback missingLlmFeedback,
    Duration closedRetention,
    Duration closeCheckInterval,
    boolean closeWhenComplete,
    Path stateDir,
    int replicationFactor,
    Limits limits,
    Restarts restarts) {

  /** Policy for episodes that closed with human labels but without LLM feedback. */
  public enum MissingLlmFeedback {
    /** Emit the episode; the miner uses the human labels alone. */
    EMIT_HUMAN_ONLY,
    /** Dead-letter every event it held as {@code NO_LLM_FEEDBACK}. */
    DEAD_LETTER
  }

  public AssemblerConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(missingLlmFeedback, "missingLlmFeedback");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(restarts, "restarts");
    positive("window", window);
    positive("closeCheckInterval", closeCheckInterval);
    positive("closedRetention", closedRetention);
    if (grace.isNegative()) throw new IllegalArgumentException("grace (" + grace + ") must be >= 0");
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor (" + replicationFactor + ") must be >= 1");
    }
  }

  private static void positive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " (" + d + ") must be positive");
  }

  public static AssemblerConfig defaults(KafkaSettings kafka, Path stateDir) {
    return new AssemblerConfig(
        kafka,
        "attune-episode-assembler",
        Topics.defaults(),
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        MissingLlmFeedback.EMIT_HUMAN_ONLY,
        Duration.ofHours(1),
        Duration.ofSeconds(1),
        true,
        stateDir,
        1,
        Limits.defaults(),
        Restarts.defaults());
  }

  /** Window plus grace: how long an episode stays open. */
  public long openMs() {
    return window.toMillis() + grace.toMillis();
  }

  public AssemblerConfig withTopics(Topics newTopics) {
    return new AssemblerConfig(kafka, applicationId, newTopics, window, grace, missingLlmFeedback,
        closedRetention, closeCheckInterval, closeWhenComplete, stateDir, replicationFactor, limits, restarts);
  }

  public AssemblerConfig withWindow(Duration newWindow, Duration newGrace) {
    return new AssemblerConfig(kafka, applicationId, topics, newWindow, newGrace, missingLlmFeedback,
        closedRetention, closeCheckInterval, closeWhenComplete, stateDir, replicationFactor, limits, restarts);
  }

  public AssemblerConfig withMissingLlmFeedback(MissingLlmFeedback policy) {
    return new AssemblerConfig(kafka, applicationId, topics, window, grace, policy,
        closedRetention, closeCheckInterval, closeWhenComplete, stateDir, replicationFactor, limits, restarts);
  }

  public AssemblerConfig withCloseWhenComplete(boolean newCloseWhenComplete) {
    return new AssemblerConfig(kafka, applicationId, topics, window, grace, missingLlmFeedback,
        closedRetention, closeCheckInterval, newCloseWhenComplete, stateDir, replicationFactor, limits, restarts);
  }

  public AssemblerConfig withApplicationId(String newApplicationId) {
    return new AssemblerConfig(kafka, newApplicationId, topics, window, grace, missingLlmFeedback,
        closedRetention, closeCheckInterval, closeWhenComplete, stateDir, replicationFactor, limits, restarts);
  }

  public AssemblerConfig withLimits(Limits newLimits) {
    return new AssemblerConfig(kafka, applicationId, topics, window, grace, missingLlmFeedback,
        closedRetention, closeCheckInterval, closeWhenComplete, stateDir, replicationFactor, newLimits, restarts);
  }
}

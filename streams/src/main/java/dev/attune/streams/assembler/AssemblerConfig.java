package dev.attune.streams.assembler;

import dev.attune.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the {@link EpisodeAssembler}.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param applicationId Kafka Streams application id (consumer group, internal topic prefix)
 * @param topics topic names
 * @param window how long after the first event of a request its episode stays open
 * @param closeCheckInterval how often open episodes are checked against the window
 * @param closeWhenComplete emit as soon as query, retrieval, LLM and human feedback are all present,
 *     instead of waiting for the window to close
 * @param stateDir local state directory
 * @param replicationFactor replication of internal topics (1 on a single broker)
 */
public record AssemblerConfig(
    String bootstrapServers,
    String applicationId,
    Topics topics,
    Duration window,
    Duration closeCheckInterval,
    boolean closeWhenComplete,
    Path stateDir,
    int replicationFactor) {

  public AssemblerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window (" + window + ") must be positive");
    }
    if (closeCheckInterval.isNegative() || closeCheckInterval.isZero()) {
      throw new IllegalArgumentException(
          "closeCheckInterval (" + closeCheckInterval + ") must be positive");
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor (" + replicationFactor + ") must be >= 1");
    }
  }

  public static AssemblerConfig defaults(String bootstrapServers, Path stateDir) {
    return new AssemblerConfig(
        bootstrapServers,
        "attune-episode-assembler",
        Topics.defaults(),
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        true,
        stateDir,
        1);
  }

  public AssemblerConfig withTopics(Topics newTopics) {
    return new AssemblerConfig(
        bootstrapServers, applicationId, newTopics, window, closeCheckInterval, closeWhenComplete,
        stateDir, replicationFactor);
  }

  public AssemblerConfig withWindow(Duration newWindow) {
    return new AssemblerConfig(
        bootstrapServers, applicationId, topics, newWindow, closeCheckInterval, closeWhenComplete,
        stateDir, replicationFactor);
  }
}

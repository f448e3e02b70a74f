package dev.attune.streams.mining;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

/**
 * A position in a topic's history, written {@code earliest}, {@code latest}, {@code timestamp:<epoch
 * ms>} (first record at or after that time) or {@code offsets:<partition>=<offset>,...}.
 */
public record OffsetSpec(Kind kind, long timestampMs, Map<Integer, Long> offsets) implements Serializable {

  public enum Kind { EARLIEST, LATEST, TIMESTAMP, OFFSETS }

  public static final OffsetSpec EARLIEST = new OffsetSpec(Kind.EARLIEST, 0, Map.of());
  public static final OffsetSpec LATEST = new OffsetSpec(Kind.LATEST, 0, Map.of());

  public OffsetSpec {
    offsets = Map.copyOf(offsets);
  }

  public static OffsetSpec parse(String text) {
    String t = text.trim();
    try {
      if (t.equals("earliest")) return EARLIEST;
      if (t.equals("latest")) return LATEST;
      if (t.startsWith("timestamp:")) {
        return new OffsetSpec(Kind.TIMESTAMP, Long.parseLong(t.substring("timestamp:".length())), Map.of());
      }
      if (t.startsWith("offsets:")) {
        Map<Integer, Long> offsets = new TreeMap<>();
        for (String part : t.substring("offsets:".length()).split(",")) {
          String[] pair = part.split("=", 2);
          offsets.put(Integer.parseInt(pair[0].trim()), Long.parseLong(pair[1].trim()));
        }
        return new OffsetSpec(Kind.OFFSETS, 0, offsets);
      }
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("bad offset position '" + text + "': " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "bad offset position '" + text + "': expected earliest, latest, timestamp:<ms> or offsets:<p>=<o>,...");
  }

  /** The Kafka source initializer for this position on {@code topic}. */
  public OffsetsInitializer initializer(String topic) {
    return switch (kind) {
      case EARLIEST -> OffsetsInitializer.earliest();
      case LATEST -> OffsetsInitializer.latest();
      case TIMESTAMP -> OffsetsInitializer.timestamp(timestampMs);
      case OFFSETS -> {
        Map<TopicPartition, Long> byPartition = new java.util.HashMap<>();
        offsets.forEach((p, o) -> byPartition.put(new TopicPartition(topic, p), o));
        yield OffsetsInitializer.offsets(byPartition, OffsetResetStrategy.EARLIEST);
      }
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case EARLIEST -> "earliest";
      case LATEST -> "latest";
      case TIMESTAMP -> "timestamp:" + timestampMs;
      case OFFSETS -> "offsets:" + offsets;
    };
  }
}

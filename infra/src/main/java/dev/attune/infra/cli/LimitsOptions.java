package dev.attune.infra.cli;

import dev.attune.schemas.Limits;
import picocli.CommandLine.Option;

/** The intake size limits, the same options on every stage that takes input (serve, assemble, mine). */
final class LimitsOptions {
  private static final Limits DEFAULTS = Limits.defaults();

  @Option(names = "--max-event-bytes", description = "Largest input event or HTTP body, in bytes (default: 262144).")
  Integer maxEventBytes;
  @Option(names = "--max-record-bytes", description = "Largest record a stage keeps or writes (episode, example, teacher window); below the broker's message.max.bytes (default: 786432).")
  Integer maxRecordBytes;
  @Option(names = "--max-query-chars", description = "Largest query (default: 2000).")
  Integer maxQueryChars;
  @Option(names = "--max-passage-chars", description = "Largest passage title or text (default: 32768).")
  Integer maxPassageChars;
  @Option(names = "--max-list-size", description = "Most candidates, scores, labels or answers in one event (default: 1000).")
  Integer maxListSize;

  Limits limits() {
    return new Limits(
        maxEventBytes == null ? DEFAULTS.maxEventBytes() : maxEventBytes,
        maxRecordBytes == null ? DEFAULTS.maxRecordBytes() : maxRecordBytes,
        maxQueryChars == null ? DEFAULTS.maxQueryChars() : maxQueryChars,
        maxPassageChars == null ? DEFAULTS.maxPassageChars() : maxPassageChars,
        maxListSize == null ? DEFAULTS.maxListSize() : maxListSize);
  }
}

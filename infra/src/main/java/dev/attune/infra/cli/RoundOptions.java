package dev.attune.infra.cli;

import dev.attune.trainers.train.RoundKind;
import dev.attune.trainers.train.RoundSchedule;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** Which rounds the trainer runs. */
class RoundOptions {
  @Option(names = "--round", defaultValue = "query", description = "query (query-side rounds: the live index is kept) or full (both towers, re-index) (default: ${DEFAULT-VALUE}).")
  String round;
  @Option(names = "--full-every", defaultValue = "10", description = "With --round query: a full round after this many query-side rounds on one index; 0 = never (default: ${DEFAULT-VALUE}).")
  int fullEvery;
  @Option(names = "--full-after-rejections", defaultValue = "2", description = "With --round query: a full round after this many rejected query-side rounds in a row; 0 = never (default: ${DEFAULT-VALUE}).")
  int fullAfterRejections;

  RoundSchedule schedule() {
    return switch (round) {
      case "query" -> new RoundSchedule(RoundKind.QUERY_SIDE, fullEvery, fullAfterRejections);
      case "full" -> RoundSchedule.always(RoundKind.FULL);
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "--round must be query or full, not " + round);
    };
  }
}

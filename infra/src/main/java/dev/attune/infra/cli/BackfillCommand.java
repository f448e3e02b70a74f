package dev.attune.infra.cli;

import dev.attune.streams.mining.MiningJobConfig;
import dev.attune.streams.mining.PreferenceMiningJob;
import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.Topics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code attune backfill}: re-mines a range of the episodes topic into topics with another prefix. */
@Command(name = "backfill", description = "Re-mine a range of the episodes topic with the current rules (bounded Flink job on a MiniCluster) into topics with another prefix; exits when done.")
final class BackfillCommand implements Callable<Integer> {
  @CommandLine.Mixin KafkaOptions kafka;
  @Option(names = "--from", defaultValue = "earliest", description = "earliest, latest, timestamp:<epoch ms> or offsets:<partition>=<offset>,... (default: ${DEFAULT-VALUE}).") String from;
  @Option(names = "--to", defaultValue = "latest", description = "Where to stop, same forms (default: ${DEFAULT-VALUE}).") String to;
  @Option(names = "--output-prefix", defaultValue = "attune.backfill.", description = "Prefix of the topics written (default: ${DEFAULT-VALUE}).") String outputPrefix;

  @Override
  public Integer call() throws Exception {
    Topics outputs = Topics.withPrefix(outputPrefix);
    KafkaAccess.createTopics(kafka.settings(), outputs.all(), 1, (short) 1);
    MiningJobConfig config = MiningJobConfig.defaults(kafka.settings()).asBackfill(
        new dev.attune.streams.mining.Backfill(dev.attune.streams.mining.OffsetSpec.parse(from), dev.attune.streams.mining.OffsetSpec.parse(to)),
        outputs, "attune-backfill-" + System.currentTimeMillis());
    System.out.printf("backfill: episodes %s .. %s -> %s*%n", from, to, outputPrefix);
    // A fresh run each time: a backfill is a bounded re-mine, cheap to repeat.
    java.nio.file.Path checkpoints = java.nio.file.Files.createTempDirectory("attune-backfill-checkpoints");
    new PreferenceMiningJob(config).startLocal(checkpoints, dev.attune.streams.Restarts.defaults()).getJobExecutionResult().get();
    long examples = KafkaAccess.readAll(kafka.settings(), outputs.trainingExamples().name(), v -> {});
    long dead = KafkaAccess.readAll(kafka.settings(), outputs.deadLetters().name(), v -> {});
    System.out.printf("backfill done: %d examples, %d dead letters in %s%n", examples, dead, outputPrefix);
    return 0;
  }
}

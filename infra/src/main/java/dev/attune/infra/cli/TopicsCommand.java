package dev.attune.infra.cli;

import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code attune topics create}: every topic Attune reads or writes ({@link Topics#all()}), each with
 * its own settings (the corpus compacted, training data and decisions kept forever), for a cluster
 * where topics are not created on first use.
 */
@Command(name = "topics", description = "Create Attune's topics on a cluster.", subcommands = TopicsCommand.CreateCommand.class)
final class TopicsCommand {

  @Command(name = "create", description = "Create every Attune topic that does not exist yet, with its settings; existing ones are left as they are.")
  static final class CreateCommand implements Callable<Integer> {
    @CommandLine.Mixin KafkaOptions kafka;
    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX, description = "Topic name prefix (default: ${DEFAULT-VALUE}).") String prefix;
    @Option(names = "--partitions", defaultValue = "1", description = "Partitions per topic (default: ${DEFAULT-VALUE}).") int partitions;
    @Option(names = "--replication-factor", defaultValue = "1", description = "Replicas per partition (default: ${DEFAULT-VALUE}; 3 on a production cluster).")
    short replication;

    @Override
    public Integer call() {
      if (partitions < 1 || replication < 1) throw new CommandLine.ParameterException(new CommandLine(this), "--partitions and --replication-factor must be >= 1");
      List<Topic<?>> all = Topics.withPrefix(prefix).all();
      List<String> created = KafkaAccess.createTopics(kafka.settings(), all, partitions, replication);
      for (Topic<?> t : all) {
        System.out.printf("%-34s %s %s%n", t.name(), created.contains(t.name()) ? "created" : "exists ", t.configs().isEmpty() ? "" : t.configs());
      }
      System.out.printf("%d of %d topics created at %s%n", created.size(), all.size(), kafka.bootstrap);
      return 0;
    }
  }
}

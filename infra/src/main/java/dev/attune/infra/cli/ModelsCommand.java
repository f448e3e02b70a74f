package dev.attune.infra.cli;

import dev.attune.schemas.KafkaAccess;
import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.ModelKind;
import dev.attune.schemas.ModelVersion;
import dev.attune.schemas.Topics;
import dev.attune.serving.EventPublisher;
import dev.attune.trainers.eval.RetrievalMetrics;
import dev.attune.models.registry.ModelLog;
import dev.attune.models.registry.ModelRegistry;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code attune models}: the model registry is the model-versions topic. {@code list} folds it,
 * {@code promote} and {@code rollback} append decisions that serving and trainer obey.
 */
@Command(name = "models", description = "List retriever or bridge versions, promote one, or roll back to any earlier one (an event serving obeys).",
    subcommands = {ModelsCommand.ListCommand.class, ModelsCommand.PromoteCommand.class, ModelsCommand.RollbackCommand.class})
final class ModelsCommand {

  /** Which model family a command acts on. */
  static final class KindOption {
    @Option(names = "--kind", defaultValue = "RETRIEVER", description = "RETRIEVER or BRIDGE (default: ${DEFAULT-VALUE}).") ModelKind kind;
  }

  static ModelLog read(KafkaSettings kafka, Topics topics, ModelKind kind) {
    ModelLog log = new ModelLog(kind);
    KafkaAccess.readAll(kafka, topics.modelVersions().name(), bytes -> log.apply(topics.modelVersions().codec().decode(bytes)));
    return log;
  }

  static void publish(KafkaSettings kafka, Topics topics, List<ModelVersion> records) {
    try (EventPublisher publisher = new EventPublisher(kafka)) {
      for (ModelVersion v : records) {
        publisher.publish(topics.modelVersions(), v.getKind().name(), v);
        System.out.printf("published %s %s: %s%n", v.getName(), v.getStatus(), v.getReason());
      }
      publisher.flush();
      if (publisher.failed() > 0) throw new IllegalStateException(publisher.failed() + " record(s) were not written to " + topics.modelVersions().name());
    }
  }

  static String who() {
    return System.getProperty("user.name", "operator");
  }

  @Command(name = "list", description = "Every version's latest status, metrics and lineage; * marks the one served.")
  static final class ListCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Mixin KindOption kind;

    @Override
    public Integer call() {
      ModelLog log = read(kafka.settings(), Topics.defaults(), kind.kind);
      boolean bridge = kind.kind == ModelKind.BRIDGE;
      String first = bridge ? "heldout.utility" : "heldout." + RetrievalMetrics.LLM_UTILITY_5;
      String second = bridge ? "heldout.answer_recall" : "reference." + RetrievalMetrics.NDCG_10;
      System.out.printf("%-2s %-14s %-11s %-7s %-14s %9s %6s %12s %12s  %s%n", "", "version", "status", "parent", "index", "examples", "steps",
          bridge ? "utility" : "LLM util@5", bridge ? "ans. recall" : "ref. nDCG", "lineage / reason");
      System.out.printf("%-2s %-14s %-11s%n", log.servingVersion() == 0 ? "*" : "", ModelRegistry.name(kind.kind, 0), bridge ? "NONE (top-k)" : "BASE");
      for (ModelVersion v : log.versions().values()) {
        if (v.getVersion() == 0) continue;
        // A query-side version searches the index it was trained against; a full one its own.
        String index = bridge ? "-" : ModelRegistry.name(log.indexVersion(v.getVersion())) + (v.getIndexVersion() == null ? "" : " (q)");
        System.out.printf(Locale.ROOT, "%-2s %-14s %-11s %-7s %-14s %9d %6d %12s %12s  %s%n", v.getVersion() == log.servingVersion() ? "*" : "",
            v.getName(), v.getStatus(), v.getParentVersion() == null ? "-" : "v" + v.getParentVersion(), index, v.getTrainingExamples(),
            v.getTrainingSteps(), metric(v, first), metric(v, second),
            v.getLineage().stream().map(l -> l.getPartition() + ":[" + l.getFromOffset() + "," + l.getUntilOffset() + ")").toList()
                + (v.getReason() == null ? "" : " " + v.getReason()));
      }
      return 0;
    }

    private static String metric(ModelVersion v, String key) {
      Double value = v.getMetrics().get(key);
      return value == null ? "-" : String.format(Locale.ROOT, "%.4f", value);
    }
  }

  @Command(name = "promote", description = "Serve a version now, whatever the trainer decided about it.")
  static final class PromoteCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin KindOption kind;
    @Parameters(index = "0", description = "Version number, e.g. 3 for retriever-v3.") int version;

    @Override
    public Integer call() {
      Topics topics = Topics.defaults();
      publish(kafka.settings(), topics, List.of(read(kafka.settings(), topics, kind.kind).promote(version, who(), System.currentTimeMillis())));
      return 0;
    }
  }

  @Command(name = "rollback", description = "Serve an earlier version (default: the one before the current); 0 is the pretrained base retriever, or no bridge.")
  static final class RollbackCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin KindOption kind;
    @Option(names = "--to", description = "Version to serve; default: the previously promoted one.") Integer to;

    @Override
    public Integer call() {
      Topics topics = Topics.defaults();
      ModelLog log = read(kafka.settings(), topics, kind.kind);
      int target = to != null ? to : log.previousVersion();
      publish(kafka.settings(), topics, log.rollbackTo(target, who(), System.currentTimeMillis()));
      return 0;
    }
  }
}

package dev.attune.infra.cli;

import dev.attune.infra.data.BeirDataset;
import dev.attune.schemas.EventValidator;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.Topics;
import dev.attune.schemas.Violation;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code attune corpus load}: puts passages on the corpus topic, where serving indexes them and the miner reads their text. */
@Command(name = "corpus", description = "Load passages into Attune's corpus topic.", subcommands = CorpusCommand.LoadCommand.class)
final class CorpusCommand {

  @Command(name = "load", description = "Publish the passages of a BEIR directory or a JSON-lines file ({\"_id\", \"title\", \"text\"}, plain or .gz)"
      + " to the corpus topic; with no source, the bundled SQuAD dev. Passages the stages would refuse are reported and not sent.")
  static final class LoadCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "SOURCE", description = "BEIR directory or corpus .jsonl[.gz]; default: the bundled SQuAD dev.") Path source;
    @Option(names = "--articles", defaultValue = "0", description = "Only the first N articles (passage ids Title#n); 0 = all (default).") int articles;
    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX, description = "Topic name prefix (default: ${DEFAULT-VALUE}).") String prefix;
    @CommandLine.Mixin KafkaOptions kafka;
    @CommandLine.Mixin LimitsOptions limits;

    @Override
    public Integer call() throws Exception {
      Corpus corpus = BeirDataset.firstArticles(source == null ? BeirDataset.bundled().corpus() : BeirDataset.corpus(source), articles);
      EventValidator validator = new EventValidator(limits.limits());
      List<Corpus.Passage> valid = new ArrayList<>();
      int refused = 0;
      for (Corpus.Passage p : corpus.passages()) {
        Violation v = validator.validate(PassageEvent.newBuilder().setPassageId(p.id()).setOp(PassageOp.UPSERT).setTitle(p.title()).setText(p.text())
            .setTimestampMs(0).build()).orElse(null);
        if (v == null) valid.add(p);
        else if (refused++ < 10) System.out.printf("not sent: passage %s: %s%n", p.id(), v);
      }
      Topics topics = Topics.withPrefix(prefix);
      try (EventPublisher publisher = new EventPublisher(kafka.settings())) {
        publisher.publishCorpus(topics.corpus(), valid);
      }
      System.out.printf("published %d passages to %s at %s; %d not sent (over the limits or blank)%n", valid.size(), topics.corpus().name(),
          kafka.bootstrap, refused);
      return refused == 0 ? 0 : 2;
    }
  }
}

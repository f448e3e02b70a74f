package dev.attune.infra;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.serving.EventPublisher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What the broker-level tests publish and observe, in one place. */
final class Fixtures {
  private Fixtures() {}

  static void publishCorpus(String bootstrap, Topics topics, Corpus corpus) {
    try (EventPublisher publisher = new EventPublisher(KafkaSettings.of(bootstrap))) {
      publisher.publishCorpus(topics.corpus(), corpus.passages());
    }
  }

  static void publishExamples(String bootstrap, Topics topics, List<TrainingExample> examples) {
    try (EventPublisher publisher = new EventPublisher(KafkaSettings.of(bootstrap))) {
      for (TrainingExample e : examples) publisher.publish(topics.trainingExamples(), e.getExampleId(), e);
      publisher.flush();
    }
  }

  /** Every file under {@code dir} with its size and modification time: equal listings mean nothing was written. */
  static Map<String, String> listing(Path dir) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(f).toString(), Files.size(f) + " bytes, modified " + Files.getLastModifiedTime(f).toMillis());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}

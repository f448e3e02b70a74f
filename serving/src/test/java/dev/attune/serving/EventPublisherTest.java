package dev.attune.serving;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.Topics;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A corpus load returns only once the broker has every passage; otherwise it fails saying how many
 * it lacks, and stops sending at the first send that fails at once (no broker: each would wait out
 * the timeout).
 */
class EventPublisherTest {
  @Test
  void a_corpus_load_no_broker_acknowledges_fails_naming_how_many_passages_were_lost() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    List<Corpus.Passage> passages = List.of(new Corpus.Passage("a#0", "A", "First passage."), new Corpus.Passage("a#1", "A", "Second passage."));
    try (EventPublisher publisher = new EventPublisher(KafkaSettings.of("127.0.0.1:" + closedPort), Duration.ofSeconds(2))) {
      assertThatThrownBy(() -> publisher.publishCorpus(Topics.withPrefix("t.").corpus(), passages))
          .isInstanceOf(EventPublisher.PublishException.class)
          .hasMessageStartingWith("2 of 2 passages were not acknowledged by the broker on t.corpus (1 not sent after the first failure): ");
    }
  }
}

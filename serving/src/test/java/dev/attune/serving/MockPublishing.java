package dev.attune.serving;

import dev.attune.schemas.EventValidator;
import dev.attune.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;

/** A retrieval service whose events go to Kafka's MockProducer and that has no index: for the API's and the service's request handling. */
public final class MockPublishing {
  private MockPublishing() {}

  /** Serves task {@code qa} only; any search fails as it would while starting. */
  public static RetrievalService service(MockProducer<String, byte[]> producer, Topics topics) {
    return new RetrievalService(null, () -> {
      throw new IllegalStateException("no version is live yet");
    }, new EventPublisher(producer, Duration.ofSeconds(1)), topics, Map.of("qa", ""), 64, null, EventValidator.DEFAULTS);
  }
}

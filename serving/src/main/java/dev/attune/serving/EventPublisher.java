package dev.attune.serving;

import dev.attune.schemas.KafkaSettings;
import dev.attune.schemas.PassageEvent;
import dev.attune.schemas.PassageOp;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Avro events to their topics, idempotently, counting what was sent and what failed. A
 * request's events go through {@link #publishAll}, which returns only once the broker acknowledged
 * every one, or fails within the timeout: an event is never lost silently behind a 200.
 */
public final class EventPublisher implements AutoCloseable {
  /** A request's bound: an HTTP caller waits at most this on the broker. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  /** Bulk loads (corpus imports, fixtures) tolerate a slow broker. */
  private static final Duration BULK_TIMEOUT = Duration.ofMinutes(2);
  private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);

  /** One event bound for its topic. */
  public record Outgoing<T extends SpecificRecord>(Topic<T> topic, String key, T event) {
    ProducerRecord<String, byte[]> record() {
      return new ProducerRecord<>(topic.name(), key, AvroCodec.of(topic.valueType()).encode(event));
    }
  }

  /** The events of a request were not all acknowledged within the timeout (broker unreachable, ...). */
  public static final class PublishException extends RuntimeException {
    PublishException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Producer<String, byte[]> producer;
  private final Duration timeout;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  /** A publisher for bulk loads, whose sends wait out a slow or briefly unreachable broker. */
  public EventPublisher(KafkaSettings kafka) {
    this(kafka, BULK_TIMEOUT);
  }

  /** {@code timeout} bounds a {@link #publishAll}: half for metadata (broker lookup), half for delivery. */
  public EventPublisher(KafkaSettings kafka, Duration timeout) {
    this.timeout = timeout;
    long half = Math.max(timeout.toMillis() / 2, 2);
    Properties props = kafka.producer("serving-publisher");
    props.put("linger.ms", "1");
    props.put("max.block.ms", String.valueOf(half));
    // delivery.timeout.ms must cover linger.ms + request.timeout.ms.
    props.put("request.timeout.ms", String.valueOf(half - 1));
    props.put("delivery.timeout.ms", String.valueOf(half));
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** Over a given producer (Kafka's {@code MockProducer} in unit tests). */
  EventPublisher(Producer<String, byte[]> producer, Duration timeout) {
    this.producer = producer;
    this.timeout = timeout;
  }

  /**
   * Upserts every passage of {@code passages} on the corpus topic (keyed by passage id) and waits
   * until the broker has them all: loading a corpus, for the demo, the benches, tests and {@code
   * attune corpus load}.
   *
   * @throws PublishException naming how many passages the broker did not acknowledge
   */
  public void publishCorpus(Topic<PassageEvent> corpus, List<Corpus.Passage> passages) {
    long now = System.currentTimeMillis();
    List<Future<RecordMetadata>> acks = new ArrayList<>(passages.size());
    for (Corpus.Passage p : passages) {
      Future<RecordMetadata> ack = publish(corpus, p.id(), PassageEvent.newBuilder().setPassageId(p.id()).setOp(PassageOp.UPSERT)
          .setTitle(p.title()).setText(p.text()).setTimestampMs(now).build());
      acks.add(ack);
      // A send failed at once (no broker within the timeout): every later one would wait as long and fail the same way.
      if (ack.isDone() && failure(ack) != null) break;
    }
    // flush() returns once every send has completed, failed ones included, without saying which failed.
    flush();
    int unsent = passages.size() - acks.size();
    int lost = unsent;
    Throwable first = null;
    for (Future<RecordMetadata> ack : acks) {
      Throwable e = failure(ack);
      if (e == null) continue;
      lost++;
      if (first == null) first = e;
    }
    if (lost > 0) {
      throw new PublishException(lost + " of " + passages.size() + " passages were not acknowledged by the broker on " + corpus.name()
          + (unsent > 0 ? " (" + unsent + " not sent after the first failure)" : "") + ": " + first.getMessage(), first);
    }
  }

  /** What a completed send failed with; null when the broker acknowledged it. */
  private static Throwable failure(Future<RecordMetadata> ack) {
    try {
      ack.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException("interrupted while publishing", e);
    }
  }

  /** Sends one event without waiting (bulk loads; {@link #flush} before relying on it). */
  public <T extends SpecificRecord> Future<RecordMetadata> publish(Topic<T> topic, String key, T event) {
    return send(new Outgoing<>(topic, key, event).record());
  }

  /**
   * Encodes every event first (one that cannot be encoded sends nothing), sends them and waits until
   * each is acknowledged.
   *
   * @throws PublishException when an event is not acknowledged within the timeout
   * @throws IllegalArgumentException when an event cannot be encoded
   */
  public void publishAll(List<Outgoing<?>> events) {
    List<ProducerRecord<String, byte[]>> records = events.stream().map(Outgoing::record).toList();
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    try {
      for (ProducerRecord<String, byte[]> r : records) acks.add(send(r));
      for (Future<RecordMetadata> ack : acks) ack.get(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new PublishException("event not acknowledged by the broker: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException | org.apache.kafka.common.errors.TimeoutException e) {
      throw new PublishException("event not acknowledged by the broker within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException("interrupted while publishing", e);
    }
  }

  private Future<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
    return producer.send(record, (meta, e) -> {
      if (e == null) sent.incrementAndGet();
      else {
        failed.incrementAndGet();
        LOG.warn("publish to {} failed: {}", record.topic(), e.getMessage());
      }
    });
  }

  public void flush() {
    producer.flush();
  }

  public long sent() {
    return sent.get();
  }

  public long failed() {
    return failed.get();
  }

  @Override
  public void close() {
    producer.close();
  }
}

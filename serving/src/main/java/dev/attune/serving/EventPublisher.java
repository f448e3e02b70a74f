package dev.attune.serving;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.Topic;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes Avro events to their topics, idempotently, counting what was sent and what failed. */
public final class EventPublisher implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  public EventPublisher(String bootstrapServers) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("enable.idempotence", "true");
    props.put("acks", "all");
    props.put("linger.ms", "5");
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  public <T extends SpecificRecord> void publish(Topic<T> topic, String key, T event) {
    producer.send(new ProducerRecord<>(topic.name(), key, AvroCodec.of(topic.valueType()).encode(event)), (meta, e) -> {
      if (e == null) sent.incrementAndGet();
      else {
        failed.incrementAndGet();
        System.err.println("publish to " + topic.name() + " failed: " + e.getMessage());
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

package dev.attune.streams.mining.operators;

import dev.attune.streams.types.CompactTypes;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Byte-level adapters between Kafka records and the mining job's POJOs. */
public final class KafkaRecords {
  private KafkaRecords() {}

  public static final class RawDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawRecord> out) {
      out.collect(new RawRecord(r.topic(), r.partition(), r.offset(), r.key(), r.value()));
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
      return CompactTypes.of(RawRecord.class);
    }
  }

  public static final class KeyedSerializer implements KafkaRecordSerializationSchema<KeyedBytes> {
    private final String topic;

    public KeyedSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(KeyedBytes element, KafkaSinkContext context, Long timestamp) {
      byte[] key = element.key == null ? null : element.key.getBytes(StandardCharsets.UTF_8);
      return new ProducerRecord<>(topic, key, element.value);
    }
  }
}

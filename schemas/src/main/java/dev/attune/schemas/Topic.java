package dev.attune.schemas;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A topic with its name, value type and creation settings. Keys are always strings (request id,
 * passage id or model kind).
 *
 * @param configs topic-level settings applied when Attune creates the topic
 */
public record Topic<V extends SpecificRecord>(
    String name, Class<V> valueType, Map<String, String> configs) {

  public Serde<String> keySerde() {
    return Serdes.String();
  }

  public AvroSerde<V> valueSerde() {
    return new AvroSerde<>(valueType);
  }

  public AvroCodec<V> codec() {
    return AvroCodec.of(valueType);
  }
}

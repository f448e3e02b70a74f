package dev.attune.streams.mining.operators;

/** An encoded record ready for a Kafka sink. Avro stays out of Flink's type system this way. */
public class KeyedBytes {
  public String key;
  public byte[] value;

  public KeyedBytes() {}

  public KeyedBytes(String key, byte[] value) {
    this.key = key;
    this.value = value;
  }
}

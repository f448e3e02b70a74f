package dev.attune.streams.mining.operators;

/** A Kafka record as read, before decoding; a Flink POJO so bad bytes survive to the dead-letter sink. */
public class RawRecord {
  public String topic;
  public int partition;
  public long offset;
  public String key;
  public byte[] keyBytes;
  public byte[] value;

  public RawRecord() {}

  public RawRecord(String topic, int partition, long offset, byte[] keyBytes, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.keyBytes = keyBytes;
    this.key = keyBytes == null ? "" : new String(keyBytes, java.nio.charset.StandardCharsets.UTF_8);
    this.value = value;
  }
}

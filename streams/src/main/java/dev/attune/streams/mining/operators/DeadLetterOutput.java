package dev.attune.streams.mining.operators;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetters;
import org.apache.flink.util.OutputTag;

/** The side output every mining function dead-letters through, and how records are put on it. */
public final class DeadLetterOutput {
  public static final OutputTag<KeyedBytes> TAG = new OutputTag<>("dead-letters") {};
  static final String STAGE = "miner";
  private static final AvroCodec<DeadLetter> CODEC = AvroCodec.of(DeadLetter.class);

  private DeadLetterOutput() {}

  static KeyedBytes of(RawRecord raw, String reason, String detail) {
    DeadLetter letter =
        DeadLetters.of(
            STAGE, raw.topic, raw.partition, raw.offset, reason, detail, raw.keyBytes, raw.value,
            System.currentTimeMillis());
    return new KeyedBytes(raw.key, CODEC.encode(letter));
  }
}

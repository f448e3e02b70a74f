package dev.attune.streams.mining.operators;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetters;
import dev.attune.streams.types.CompactTypes;
import org.apache.flink.util.OutputTag;

/** The side output every mining (and scoring) function dead-letters through, and how records are put on it. */
public final class DeadLetterOutput {
  public static final OutputTag<KeyedBytes> TAG = new OutputTag<>("dead-letters", CompactTypes.of(KeyedBytes.class));
  public static final String STAGE = "miner";
  private static final AvroCodec<DeadLetter> CODEC = AvroCodec.of(DeadLetter.class);

  private DeadLetterOutput() {}

  static KeyedBytes of(RawRecord raw, String reason, String detail) {
    return of(STAGE, raw, reason, detail);
  }

  /** A dead letter from {@code stage} for {@code raw}. */
  public static KeyedBytes of(String stage, RawRecord raw, String reason, String detail) {
    DeadLetter letter =
        DeadLetters.of(
            stage, raw.topic, raw.partition, raw.offset, reason, detail, raw.keyBytes, raw.value,
            System.currentTimeMillis());
    return new KeyedBytes(raw.key, CODEC.encode(letter));
  }
}

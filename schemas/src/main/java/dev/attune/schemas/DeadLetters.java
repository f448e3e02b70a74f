package dev.attune.schemas;

import java.nio.ByteBuffer;

/** Builds {@link DeadLetter} records the same way in every stage. */
public final class DeadLetters {
  private DeadLetters() {}

  public static DeadLetter of(
      String stage,
      String sourceTopic,
      int partition,
      long offset,
      String reason,
      String detail,
      byte[] key,
      byte[] payload,
      long nowMs) {
    return DeadLetter.newBuilder()
        .setStage(stage)
        .setSourceTopic(sourceTopic)
        .setPartition(partition)
        .setOffset(offset)
        .setReason(reason)
        .setDetail(detail == null ? "" : detail)
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setPayload(payload == null ? null : ByteBuffer.wrap(payload))
        .setTimestampMs(nowMs)
        .build();
  }
}

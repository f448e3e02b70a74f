package dev.attune.schemas;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Builds {@link DeadLetter} records the same way in every stage. */
public final class DeadLetters {
  /**
   * Payloads above this are cut to it in the dead letter: an oversized record must not make its own
   * dead letter too large for the broker (1 MB by default), which would stop the stage.
   */
  public static final int MAX_KEPT_PAYLOAD_BYTES = 256 * 1024;

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
    String text = detail == null ? "" : detail;
    byte[] kept = payload;
    if (payload != null && payload.length > MAX_KEPT_PAYLOAD_BYTES) {
      kept = Arrays.copyOf(payload, MAX_KEPT_PAYLOAD_BYTES);
      text += " [payload cut from " + payload.length + " to its first " + MAX_KEPT_PAYLOAD_BYTES + " bytes]";
    }
    byte[] keptKey = key != null && key.length > MAX_KEPT_PAYLOAD_BYTES ? Arrays.copyOf(key, MAX_KEPT_PAYLOAD_BYTES) : key;
    return DeadLetter.newBuilder()
        .setStage(stage)
        .setSourceTopic(sourceTopic)
        .setPartition(partition)
        .setOffset(offset)
        .setReason(reason)
        .setDetail(text)
        .setKey(keptKey == null ? null : ByteBuffer.wrap(keptKey))
        .setPayload(kept == null ? null : ByteBuffer.wrap(kept))
        .setTimestampMs(nowMs)
        .build();
  }
}

package dev.attune.schemas;

import java.io.Serializable;

/**
 * Size limits of every intake, configured once and enforced before anything reaches state: an input
 * over them is dead-lettered {@code OVERSIZED} (HTTP: 413/400), never a crashed stage.
 *
 * @param maxEventBytes largest encoded input event (queries, retrievals, feedback, passages)
 * @param maxRecordBytes largest record a stage writes or keeps (an assembling episode, a mined
 *     example, a teacher window); must stay under the broker's {@code message.max.bytes} (1 MB by
 *     default), or the write fails and stops the stage
 * @param maxQueryChars largest query text
 * @param maxPassageChars largest passage text (title and text each)
 * @param maxListSize most elements of one list (candidates, scores, labels, answers)
 */
public record Limits(int maxEventBytes, int maxRecordBytes, int maxQueryChars, int maxPassageChars, int maxListSize)
    implements Serializable {

  public Limits {
    positive("maxEventBytes", maxEventBytes);
    positive("maxRecordBytes", maxRecordBytes);
    positive("maxQueryChars", maxQueryChars);
    positive("maxPassageChars", maxPassageChars);
    positive("maxListSize", maxListSize);
    if (maxEventBytes > maxRecordBytes) {
      throw new IllegalArgumentException("maxEventBytes (" + maxEventBytes + ") must not exceed maxRecordBytes (" + maxRecordBytes + ")");
    }
  }

  /** 256 KiB events, 768 KiB records, 2,000-character queries, 32 Ki-character passages, 1,000-element lists. */
  public static Limits defaults() {
    return new Limits(256 * 1024, 768 * 1024, 2_000, 32 * 1024, 1_000);
  }

  private static void positive(String name, int value) {
    if (value < 1) throw new IllegalArgumentException(name + " (" + value + ") must be >= 1");
  }
}

package dev.attune.streams.mining.rules;

import java.nio.charset.StandardCharsets;

/** The latest state of one passage, held by the mining task its passage id is routed to. */
public class CorpusUpdate {
  public String passageId;
  public boolean deleted;
  /**
   * Title and text as UTF-8: in state, in checkpoints and between tasks they are copied, not
   * re-encoded. As strings, a heap checkpoint encoded every passage of both corpus shares each
   * second (45% of the checkpoint thread's samples on a 20,000-request burst), and each lookup's
   * answer once more on its way to the miner.
   */
  public byte[] title;
  public byte[] text;
  private transient String titleString;
  private transient String textString;

  public CorpusUpdate() {}

  public CorpusUpdate(String passageId, boolean deleted, String title, String text) {
    this.passageId = passageId;
    this.deleted = deleted;
    this.title = title == null ? null : title.getBytes(StandardCharsets.UTF_8);
    this.text = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    this.titleString = title;
    this.textString = text;
  }

  /** The title, decoded once per instance; null when the passage has none. */
  public String title() {
    if (titleString == null && title != null) titleString = new String(title, StandardCharsets.UTF_8);
    return titleString;
  }

  /** The text, decoded once per instance; null for a deletion. */
  public String text() {
    if (textString == null && text != null) textString = new String(text, StandardCharsets.UTF_8);
    return textString;
  }

  /** UTF-8 bytes of title and text (a teacher distribution's byte budget counts them). */
  public long textBytes() {
    return (title == null ? 0 : title.length) + (text == null ? 0 : text.length);
  }
}

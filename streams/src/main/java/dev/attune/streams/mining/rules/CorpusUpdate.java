package dev.attune.streams.mining.rules;

/** The latest state of one passage, held by the mining task its passage id is routed to. */
public class CorpusUpdate {
  public String passageId;
  public boolean deleted;
  public String title;
  public String text;
  /**
   * UTF-8 bytes of title and text, counted once here rather than for every episode that cites the
   * passage (a distribution's byte budget counts them; counting showed in the miner's profile); 0 in
   * state written before it was kept, then counted on first use.
   */
  public long textBytes;

  public CorpusUpdate() {}

  public CorpusUpdate(String passageId, boolean deleted, String title, String text) {
    this.passageId = passageId;
    this.deleted = deleted;
    this.title = title;
    this.text = text;
    this.textBytes = TeacherObservation.utf8(title) + TeacherObservation.utf8(text);
  }

  public long textBytes() {
    if (textBytes == 0) textBytes = TeacherObservation.utf8(title) + TeacherObservation.utf8(text);
    return textBytes;
  }
}

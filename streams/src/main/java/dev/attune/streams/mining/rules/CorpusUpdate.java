package dev.attune.streams.mining.rules;

/** The latest state of one passage, broadcast to every mining task. */
public class CorpusUpdate {
  public String passageId;
  public boolean deleted;
  public String title;
  public String text;

  public CorpusUpdate() {}

  public CorpusUpdate(String passageId, boolean deleted, String title, String text) {
    this.passageId = passageId;
    this.deleted = deleted;
    this.title = title;
    this.text = text;
  }
}

package dev.attune.streams.mining.rules;

/** The latest state of one passage, held by the mining task its passage id is routed to. */
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

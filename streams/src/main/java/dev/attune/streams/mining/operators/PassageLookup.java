package dev.attune.streams.mining.operators;

/** An episode asking the corpus for one passage it references (routed by passage id). */
public class PassageLookup {
  public String passageId;
  public String requestId;

  public PassageLookup() {}

  public PassageLookup(String passageId, String requestId) {
    this.passageId = passageId;
    this.requestId = requestId;
  }
}

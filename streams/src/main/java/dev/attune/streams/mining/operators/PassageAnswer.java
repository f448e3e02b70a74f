package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.CorpusUpdate;

/**
 * The corpus's answer to a {@link PassageLookup} (routed back by request id): the passage's latest
 * state (possibly a deletion), or null when the corpus still did not hold it after the wait.
 */
public class PassageAnswer {
  public String requestId;
  public String passageId;
  public CorpusUpdate entry;

  public PassageAnswer() {}

  public PassageAnswer(String requestId, String passageId, CorpusUpdate entry) {
    this.requestId = requestId;
    this.passageId = passageId;
    this.entry = entry;
  }
}

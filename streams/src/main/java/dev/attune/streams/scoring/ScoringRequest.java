package dev.attune.streams.scoring;

import dev.attune.streams.mining.operators.RawRecord;
import java.util.List;

/** An answer joined with its request's query and retrieval, sampled in, waiting for its passages' texts. */
public class ScoringRequest {
  public String requestId;
  public String query;
  public String answer;
  public String answerEventId;
  /** The retrieval's top two scores were close: the preference is worth the most here. */
  public boolean uncertain;
  /** The retrieved passages, best first. */
  public List<String> passageIds;
  /** The answer as read, for a dead letter. */
  public RawRecord answerRecord;

  public ScoringRequest() {}

  ScoringRequest(String requestId, String query, String answer, String answerEventId, boolean uncertain, List<String> passageIds,
      RawRecord answerRecord) {
    this.requestId = requestId;
    this.query = query;
    this.answer = answer;
    this.answerEventId = answerEventId;
    this.uncertain = uncertain;
    this.passageIds = passageIds;
    this.answerRecord = answerRecord;
  }
}

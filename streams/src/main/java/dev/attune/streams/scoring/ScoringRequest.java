package dev.attune.streams.scoring;

import dev.attune.streams.mining.operators.RawRecord;
import java.util.List;

/**
 * The answers of a request that went on together (usually one), joined with its query and
 * retrieval, waiting for the texts of its passages, which were looked up once for them.
 */
public class ScoringRequest {
  public String requestId;
  public String query;
  /** The retrieval's top two scores were close: the preference is worth the most here. */
  public boolean uncertain;
  /** The retrieved passages, best first. */
  public List<String> passageIds;
  public List<Answer> answers;

  /** One answer to score. */
  public static class Answer {
    public String text;
    public String eventId;
    /** The answer as read, for a dead letter. */
    public RawRecord record;

    public Answer() {}

    Answer(String text, String eventId, RawRecord record) {
      this.text = text;
      this.eventId = eventId;
      this.record = record;
    }
  }

  public ScoringRequest() {}

  ScoringRequest(String requestId, String query, boolean uncertain, List<String> passageIds, List<Answer> answers) {
    this.requestId = requestId;
    this.query = query;
    this.uncertain = uncertain;
    this.passageIds = passageIds;
    this.answers = answers;
  }
}

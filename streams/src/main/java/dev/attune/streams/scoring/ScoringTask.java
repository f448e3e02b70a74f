package dev.attune.streams.scoring;

import java.util.List;

/** One answer ready to score: its question, and the texts of the request's passages the corpus holds. */
public class ScoringTask {
  public String requestId;
  public String query;
  public boolean uncertain;
  public ScoringRequest.Answer answer;
  public List<String> passageIds;
  public List<String> texts;

  public ScoringTask() {}

  ScoringTask(ScoringRequest request, ScoringRequest.Answer answer, List<String> passageIds, List<String> texts) {
    this.requestId = request.requestId;
    this.query = request.query;
    this.uncertain = request.uncertain;
    this.answer = answer;
    this.passageIds = passageIds;
    this.texts = texts;
  }
}

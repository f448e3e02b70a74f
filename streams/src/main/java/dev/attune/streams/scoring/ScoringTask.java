package dev.attune.streams.scoring;

import java.util.List;

/** A request ready to score: its question, answer and the texts of the passages the corpus holds. */
public class ScoringTask {
  public ScoringRequest request;
  public List<String> passageIds;
  public List<String> texts;

  public ScoringTask() {}

  ScoringTask(ScoringRequest request, List<String> passageIds, List<String> texts) {
    this.request = request;
    this.passageIds = passageIds;
    this.texts = texts;
  }
}

package dev.attune.models.bridge;

import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingPassage;
import java.util.ArrayList;
import java.util.List;

/**
 * One query the bridge learns from or is judged on: the retrieved candidates in retrieval order, the
 * silver sequence (indexes into the candidates) and the known answers.
 *
 * @param id the silver sequence's id (request and LLM), so held-out splits are stable
 * @param task the query's task, for its instruction
 * @param query the query text, without instruction
 * @param candidates the passages the bridge chooses from
 * @param silver the mined sequence, cut to what the decoder may emit (see {@link #of})
 * @param silverUtility the sequence's utility as the miner computed it
 * @param answers answer strings, for the reward and answer recall
 */
public record BridgeExample(String id, String task, String query, List<Passage> candidates, List<Integer> silver,
    double silverUtility, List<String> answers) {

  /** A candidate: what the encoder reads is {@link #embeddingText}, what the LLM reads is {@code text}. */
  public record Passage(String id, String title, String text) {
    public String embeddingText() {
      return title == null || title.isBlank() ? text : title + ". " + text;
    }
  }

  public BridgeExample {
    if (candidates.isEmpty()) throw new IllegalArgumentException("example " + id + " has no candidates");
    candidates = List.copyOf(candidates);
    silver = List.copyOf(silver);
    answers = List.copyOf(answers);
  }

  /**
   * Reads a mined silver sequence: the first {@code candidates} candidates, and the silver sequence up
   * to the first step the decoder could not take (a candidate past them, a copy beyond {@code
   * maxRepeats}, a step beyond {@code maxLength}).
   */
  public static BridgeExample of(SilverSequence s, int slots, int maxLength, int maxRepeats) {
    List<Passage> candidates = new ArrayList<>();
    for (TrainingPassage p : s.getCandidates().subList(0, Math.min(slots, s.getCandidates().size()))) {
      candidates.add(new Passage(p.getPassageId(), p.getTitle(), p.getText()));
    }
    int[] copies = new int[candidates.size()];
    List<Integer> silver = new ArrayList<>();
    for (int i : s.getSequence()) {
      if (silver.size() >= maxLength || i < 0 || i >= candidates.size() || copies[i] >= maxRepeats) break;
      copies[i]++;
      silver.add(i);
    }
    return new BridgeExample(s.getSequenceId(), s.getTask(), s.getQuery(), candidates, silver, s.getUtility(), s.getAnswers());
  }

  /** The passages a sequence of indexes names, in order. */
  public List<Passage> passages(List<Integer> sequence) {
    return sequence.stream().map(candidates::get).toList();
  }

  /** The retriever's first {@code k} candidates as is. */
  public List<Integer> topK(int k) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < Math.min(k, candidates.size()); i++) out.add(i);
    return out;
  }
}

package dev.attune.streams.mining.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.streams.Events;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class PreferenceRulesTest {
  public static final Map<String, CorpusUpdate> CORPUS =
      Map.of(
          "p1", new CorpusUpdate("p1", false, "T", "Hamlet is a tragedy."),
          "p2", new CorpusUpdate("p2", false, "T", "Macbeth is short."),
          "p3", new CorpusUpdate("p3", false, "T", "It was written by William Shakespeare."),
          "p4", new CorpusUpdate("p4", false, "T", "The author, Shakespeare, lived in London."),
          "p5", new CorpusUpdate("p5", false, "T", "A labeled passage."));

  public static FeedbackEpisode episode() {
    List<EpisodeCandidate> candidates = new ArrayList<>();
    for (var p : Events.retrieval("r1").getCandidates()) {
      candidates.add(new EpisodeCandidate(p.getPassageId(), p.getRank(), p.getScore()));
    }
    candidates.add(new EpisodeCandidate("p5", null, null));
    return FeedbackEpisode.newBuilder()
        .setRequestId("r1")
        .setClosedAtMs(Events.T0)
        .setEventIds(List.of("q-r1"))
        .setQuery(Events.query("r1"))
        .setCandidates(candidates)
        .setLlmFeedback(List.of(Events.llm("r1")))
        .setRelevantPassageIds(List.of("p5"))
        .setAnswers(List.of("Shakespeare"))
        .build();
  }

  @Test
  void take_human_labels_and_llm_top_k_as_positives() {
    TrainingExample example = mine(episode(), CORPUS::get, MiningConfig.defaults(), 5L).example();

    assertThat(example.getPositives()).containsExactly("p5", "p3", "p1");
    assertThat(example.getHumanLabels()).as("the labeled positives, apart from the LLM's picks").containsExactly("p5");
  }

  @Test
  void never_take_an_answer_bearing_passage_as_hard_negative() {
    TrainingExample example = mine(episode(), CORPUS::get, MiningConfig.defaults(), 5L).example();

    // p2 (-9) and p4 (-8) are both far below the 2nd best (-2); p4 contains "Shakespeare".
    assertThat(example.getHardNegatives()).containsExactly("p2");
  }

  @Test
  void find_an_answer_in_a_text_whatever_the_case() {
    assertThat(PreferenceRules.containsAnswer("Written by William SHAKESPEARE in 1600.", List.of("  shakespeare "))).isTrue();
    assertThat(PreferenceRules.containsAnswer("aaab", List.of("AAB"))).as("a match after a false start").isTrue();
    assertThat(PreferenceRules.containsAnswer("Die Straße nach Ελλάδα", List.of("paris", "ΕΛΛΆΔΑ"))).isTrue();
    assertThat(PreferenceRules.containsAnswer("1600", List.of("1600"))).isTrue();
    assertThat(PreferenceRules.containsAnswer("Hamlet is a tragedy.", List.of("Macbeth", " ", "tragedy. And more"))).isFalse();
    assertThat(PreferenceRules.containsAnswer("ab", List.of("b", "ba"))).isTrue();
  }

  @Test
  void carry_teacher_scores_and_text_for_every_named_passage() {
    TrainingExample example = mine(episode(), CORPUS::get, MiningConfig.defaults(), 5L).example();

    assertThat(example.getCandidates())
        .extracting(TrainingPassage::getPassageId)
        .containsExactlyInAnyOrder("p1", "p2", "p3", "p4", "p5");
    TrainingPassage p5 = example.getCandidates().stream().filter(c -> c.getPassageId().equals("p5")).findFirst().orElseThrow();
    assertThat(p5.getTeacherScore()).isNull();
    assertThat(p5.getRetrievalRank()).isNull();
    assertThat(p5.getText()).isEqualTo("A labeled passage.");
  }

  @Test
  void average_teacher_scores_over_llms_of_one_signal_kind_only() {
    FeedbackEpisode e = episode();
    var second = Events.llm("r1");
    second.setEventId("l2");
    second.setLlmId("other");
    second.getPassageScores().get(0).setScore(-4.0);
    var reward = Events.llm("r1");
    reward.setEventId("l3");
    reward.setSignalKind(SignalKind.DOWNSTREAM_REWARD);
    reward.getPassageScores().get(0).setScore(1.0);
    e.setLlmFeedback(List.of(Events.llm("r1"), second, reward));

    TeacherSignal signal = TeacherSignal.of(e, MiningConfig.defaults());

    assertThat(signal.kind()).isEqualTo(SignalKind.ANSWER_LOG_LIKELIHOOD);
    assertThat(signal.mean()).containsEntry("p1", -3.0).containsEntry("p3", -1.0);
    assertThat(signal.perLlm().get("other")).containsEntry("p1", -4.0);
    TrainingExample example = mine(e, CORPUS::get, MiningConfig.defaults(), 5L).example();
    assertThat(example.getSignalKind()).isEqualTo(SignalKind.ANSWER_LOG_LIKELIHOOD);
    assertThat(example.getLlmIds()).containsExactly("unigram-lm", "other");
  }

  @Test
  void fall_back_to_the_next_signal_kind_in_priority() {
    FeedbackEpisode e = episode();
    var attention = Events.llm("r1");
    attention.setSignalKind(SignalKind.CROSS_ATTENTION);
    e.setLlmFeedback(List.of(attention));

    TrainingExample example = mine(e, CORPUS::get, MiningConfig.defaults(), 5L).example();

    assertThat(example.getSignalKind()).isEqualTo(SignalKind.CROSS_ATTENTION);
    assertThat(example.getPositives()).containsExactly("p5", "p3", "p1");
    assertThat(example.getHumanLabels()).as("the labeled positives, apart from the LLM's picks").containsExactly("p5");
  }

  static FeedbackEpisode episodeWithTail() {
    FeedbackEpisode e = episode();
    List<EpisodeCandidate> candidates = new ArrayList<>(e.getCandidates());
    for (int rank = 5; rank <= 8; rank++) candidates.add(new EpisodeCandidate("t" + rank, rank, 0.5f));
    e.setCandidates(candidates);
    return e;
  }

  static CorpusUpdate lookup(String id) {
    return CORPUS.containsKey(id) ? CORPUS.get(id) : new CorpusUpdate(id, false, "T", "Unrelated text " + id + ".");
  }

  @Test
  void sample_ance_negatives_from_the_rank_range_reproducibly_and_guarded() {
    MiningConfig rules = MiningConfig.defaults().withNegatives(new NegativeRules(4, new RankRange(1, 10), 1.0, 2, new RankRange(2, 7)));

    TrainingExample first = mine(episodeWithTail(), PreferenceRulesTest::lookup, rules, 5L).example();
    TrainingExample again = mine(episodeWithTail(), PreferenceRulesTest::lookup, rules, 9L).example();

    // p1/p3 are positives, p2 is already an LLM negative, p4 holds the answer, t8 is outside ranks 2..7.
    assertThat(first.getSampledNegatives()).hasSize(2).isSubsetOf("t5", "t6", "t7");
    assertThat(again.getSampledNegatives()).isEqualTo(first.getSampledNegatives());
    assertThat(first.getCandidates()).extracting(TrainingPassage::getPassageId).containsAll(first.getSampledNegatives());
  }

  @Test
  void leave_deleted_passages_out_of_every_role() {
    java.util.Map<String, CorpusUpdate> corpus = new java.util.HashMap<>(CORPUS);
    corpus.put("p3", new CorpusUpdate("p3", true, null, null));
    corpus.put("p2", new CorpusUpdate("p2", true, null, null));

    TrainingExample example = mine(episode(), corpus::get, MiningConfig.defaults(), 5L).example();

    assertThat(example.getPositives()).containsExactly("p5", "p1", "p4");
    assertThat(example.getHardNegatives()).isEmpty();
    assertThat(example.getCandidates()).extracting(TrainingPassage::getPassageId).doesNotContain("p2", "p3");
  }

  @Test
  void make_no_llm_positive_from_a_flat_distribution_or_an_abstention() {
    FeedbackEpisode flat = episode();
    flat.setRelevantPassageIds(List.of());
    flat.getLlmFeedback().get(0).getPassageScores().forEach(p -> p.setScore(-4.0));
    FeedbackEpisode abstained = episode();
    abstained.setRelevantPassageIds(List.of());
    abstained.getLlmFeedback().get(0).setAbstained(true);
    FeedbackEpisode labelled = episode();
    labelled.getLlmFeedback().get(0).getPassageScores().forEach(p -> p.setScore(-4.0));

    assertThat(mine(flat, CORPUS::get, MiningConfig.defaults(), 5L).rejection()).contains("flat");
    assertThat(mine(abstained, CORPUS::get, MiningConfig.defaults(), 5L).rejection()).contains("abstained");
    assertThat(mine(labelled, CORPUS::get, MiningConfig.defaults(), 5L).example().getPositives())
        .as("the human label still teaches; the flat LLM adds nothing").containsExactly("p5");
    assertThat(TeacherSignal.normalisedEntropy(java.util.Map.of("a", -1.0, "b", -1.0), 1.0)).isEqualTo(1.0);
    assertThat(TeacherSignal.normalisedEntropy(java.util.Map.of("a", 0.0, "b", -30.0), 1.0)).isLessThan(0.01);
  }

  @Test
  void reject_episode_without_any_preference() {
    FeedbackEpisode e = episode();
    e.setRelevantPassageIds(List.of());
    e.setLlmFeedback(List.of());

    assertThat(mine(e, CORPUS::get, MiningConfig.defaults(), 5L).rejection()).contains("no positive");
  }

  @Test
  void mine_human_only_episode_with_sampled_negatives() {
    FeedbackEpisode e = episodeWithTail();
    e.setLlmFeedback(List.of());

    TrainingExample example = mine(e, PreferenceRulesTest::lookup, MiningConfig.defaults(), 5L).example();

    assertThat(example.getSignalKind()).isNull();
    assertThat(example.getPositives()).containsExactly("p5");
    assertThat(example.getHardNegatives()).isEmpty();
    assertThat(example.getSampledNegatives()).hasSize(3).doesNotContain("p4", "p5");
  }

  private static PreferenceRules.Outcome mine(
      FeedbackEpisode e, java.util.function.Function<String, CorpusUpdate> passages, MiningConfig config, long nowMs) {
    return PreferenceRules.mine(e, TeacherSignal.of(e, config), passages, config, nowMs);
  }
}

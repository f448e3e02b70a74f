package dev.attune.streams.mining;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.streams.Events;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PreferenceRulesTest {
  static final Map<String, CorpusUpdate> CORPUS =
      Map.of(
          "p1", new CorpusUpdate("p1", false, "T", "Hamlet is a tragedy."),
          "p2", new CorpusUpdate("p2", false, "T", "Macbeth is short."),
          "p3", new CorpusUpdate("p3", false, "T", "It was written by William Shakespeare."),
          "p4", new CorpusUpdate("p4", false, "T", "The author, Shakespeare, lived in London."),
          "p5", new CorpusUpdate("p5", false, "T", "A labeled passage."));

  static FeedbackEpisode episode() {
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
  void should_take_human_labels_and_llm_top_k_as_positives() {
    TrainingExample example = PreferenceRules.mine(episode(), CORPUS::get, MiningConfig.defaults(), 5L).example();

    assertThat(example.getPositives()).containsExactly("p5", "p3", "p1");
  }

  @Test
  void should_never_take_an_answer_bearing_passage_as_hard_negative() {
    TrainingExample example = PreferenceRules.mine(episode(), CORPUS::get, MiningConfig.defaults(), 5L).example();

    // p2 (-9) and p4 (-8) are both far below the 2nd best (-2); p4 contains "Shakespeare".
    assertThat(example.getHardNegatives()).containsExactly("p2");
  }

  @Test
  void should_carry_teacher_scores_and_text_for_every_named_passage() {
    TrainingExample example = PreferenceRules.mine(episode(), CORPUS::get, MiningConfig.defaults(), 5L).example();

    assertThat(example.getCandidates())
        .extracting(TrainingPassage::getPassageId)
        .containsExactlyInAnyOrder("p1", "p2", "p3", "p4", "p5");
    TrainingPassage p5 = example.getCandidates().stream().filter(c -> c.getPassageId().equals("p5")).findFirst().orElseThrow();
    assertThat(p5.getTeacherScore()).isNull();
    assertThat(p5.getRetrievalRank()).isNull();
    assertThat(p5.getText()).isEqualTo("A labeled passage.");
  }

  @Test
  void should_average_teacher_scores_over_llms() {
    FeedbackEpisode e = episode();
    var second = Events.llm("r1");
    second.setEventId("l2");
    second.setLlmId("other");
    second.getPassageScores().get(0).setScore(-4.0);
    e.setLlmFeedback(List.of(Events.llm("r1"), second));

    assertThat(PreferenceRules.teacherScores(e)).containsEntry("p1", -3.0).containsEntry("p3", -1.0);
  }

  @Test
  void should_reject_episode_without_any_preference() {
    FeedbackEpisode e = episode();
    e.setRelevantPassageIds(List.of());
    MiningConfig noTopK = new MiningConfig(0, 10, 4, 1.0, 1000, 100);

    assertThat(PreferenceRules.mine(e, CORPUS::get, noTopK, 5L).rejection()).contains("no human label");
  }
}

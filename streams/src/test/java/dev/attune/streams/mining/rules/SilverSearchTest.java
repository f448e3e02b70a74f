package dev.attune.streams.mining.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.SilverSequence;
import java.util.List;
import org.junit.jupiter.api.Test;

class SilverSearchTest {
  private static final SilverSearchConfig CONFIG = new SilverSearchConfig(0.2, 0.3, 8);

  @Test
  void add_a_second_passage_while_it_pays_for_the_distraction() {
    // [0]: 0.3. [0,1]: (1 - 0.7*0.75) * 0.8 = 0.38 beats [0,0]: (1 - 0.7*0.91) * 0.8 = 0.2904.
    // [0,1,0]: (1 - 0.525*0.91) * 0.64 = 0.33424 and [0,1,1]: 0.32920 are below 0.38: stop.
    SilverSearch.Result r = SilverSearch.search(new double[] {0.3, 0.25}, CONFIG);

    assertThat(r.sequence()).containsExactly(0, 1);
    assertThat(r.stepUtilities().get(0)).isCloseTo(0.3, within(1e-12));
    assertThat(r.stepUtilities().get(1)).isCloseTo(0.38, within(1e-12));
    assertThat(r.utility()).isCloseTo(0.38, within(1e-12));
  }

  @Test
  void repeat_a_passage_when_the_repeat_improves_utility() {
    // [0]: 0.1. [0,0]: (1 - 0.9*0.97) * 0.8 = 0.1016 > 0.1; [0,0,0]: (1 - 0.873*0.991) * 0.64 = 0.08631: stop.
    SilverSearch.Result r = SilverSearch.search(new double[] {0.1}, CONFIG);

    assertThat(r.sequence()).containsExactly(0, 0);
    assertThat(r.utility()).isCloseTo(0.1016, within(1e-12));
  }

  @Test
  void stop_at_one_passage_when_nothing_improves_and_tie_break_on_rank() {
    assertThat(SilverSearch.search(new double[] {0.5, 0.1, 0.0}, CONFIG).sequence()).containsExactly(0);
    assertThat(SilverSearch.search(new double[] {0.4, 0.4}, CONFIG).sequence()).startsWith(0);
    assertThat(SilverSearch.search(new double[] {0.0, 0.0}, CONFIG).sequence()).isEmpty();
  }

  @Test
  void map_signals_to_answer_probabilities() {
    assertThat(SilverSearch.answerProbability(SignalKind.ANSWER_LOG_LIKELIHOOD, -1.0)).isCloseTo(Math.exp(-1), within(1e-12));
    assertThat(SilverSearch.answerProbability(SignalKind.DOWNSTREAM_REWARD, 1.7)).isEqualTo(1.0);
    assertThat(SilverSearch.answerProbability(SignalKind.CROSS_ATTENTION, 0.3)).isNull();
  }

  @Test
  void emit_one_sequence_per_llm_over_retrieved_candidates_in_rank_order() {
    FeedbackEpisode e = PreferenceRulesTest.episode();
    var other = dev.attune.streams.Events.llm("r1");
    other.setEventId("l2");
    other.setLlmId("other");
    e.setLlmFeedback(List.of(dev.attune.streams.Events.llm("r1"), other));
    TeacherSignal signal = TeacherSignal.of(e, MiningConfig.defaults());

    List<SilverSequence> out = SilverSearch.sequences(e, signal, PreferenceRulesTest.CORPUS::get, CONFIG, 7L);

    assertThat(out).extracting(SilverSequence::getLlmId).containsExactly("unigram-lm", "other");
    SilverSequence s = out.get(0);
    // p5 is labeled but was not retrieved, so the bridge never sees it.
    assertThat(s.getCandidates()).extracting(c -> c.getPassageId()).containsExactly("p1", "p2", "p3", "p4");
    // p3 (e^-1 = 0.368) first; p1 (e^-2 = 0.135) adds (1 - 0.632*0.865) * 0.8 = 0.363 < 0.368: stop.
    assertThat(s.getSequence()).containsExactly(2);
    assertThat(s.getUtility()).isCloseTo(Math.exp(-1), within(1e-12));
    assertThat(s.getRetrieverTopKUtility()).isCloseTo(Math.exp(-2), within(1e-12));
    assertThat(s.getSequenceId()).isEqualTo("r1\u001funigram-lm");
    assertThat(s.getAnswers()).as("the bridge's reward scores these").isEqualTo(e.getAnswers());
  }

  @Test
  void give_no_sequence_for_attention_signals() {
    FeedbackEpisode e = PreferenceRulesTest.episode();
    e.getLlmFeedback().get(0).setSignalKind(SignalKind.CROSS_ATTENTION);
    TeacherSignal signal = TeacherSignal.of(e, MiningConfig.defaults());

    assertThat(SilverSearch.sequences(e, signal, PreferenceRulesTest.CORPUS::get, CONFIG, 7L)).isEmpty();
  }
}

package dev.attune.streams.mining.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceRulesTest;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EpisodeIntakeTest {
  private KeyedOneInputStreamOperatorTestHarness<String, RawRecord, AdmittedEpisode> harness;

  @BeforeEach
  void open() throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new EpisodeIntake(MiningConfig.defaults()), r -> r.key, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  static RawRecord record(long offset, String key, FeedbackEpisode e) {
    return new RawRecord("attune.episodes", 0, offset, key == null ? null : key.getBytes(), AvroCodec.of(FeedbackEpisode.class).encode(e));
  }

  static FeedbackEpisode withRequestId(String requestId, String extraPassage) {
    FeedbackEpisode e = PreferenceRulesTest.episode();
    e.setRequestId(requestId);
    e.getQuery().setRequestId(requestId);
    e.getLlmFeedback().forEach(l -> l.setRequestId(requestId));
    var candidates = new java.util.ArrayList<>(e.getCandidates());
    candidates.add(new dev.attune.schemas.EpisodeCandidate(extraPassage, 9, 0.1f));
    e.setCandidates(candidates);
    return e;
  }

  List<DeadLetter> deadLetters() {
    var codec = AvroCodec.of(DeadLetter.class);
    var out = harness.getSideOutput(DeadLetterOutput.TAG);
    return out == null ? List.of() : out.stream().map(r -> codec.decode(r.getValue().value)).toList();
  }

  @Test
  void an_episode_goes_on_and_asks_for_each_passage_it_references_once_candidates_and_labels() throws Exception {
    harness.processElement(record(0, "r1", PreferenceRulesTest.episode()), 10);

    assertThat(harness.extractOutputValues()).singleElement().satisfies(a -> {
      assertThat(a.record.offset).isZero();
      assertThat(a.passages).as("the lookups the miner will wait for").isEqualTo(5);
    });
    assertThat(harness.getSideOutput(EpisodeIntake.LOOKUPS)).extracting(r -> r.getValue().passageId).containsExactlyInAnyOrder("p1", "p2", "p3", "p4", "p5");
    assertThat(harness.getSideOutput(EpisodeIntake.LOOKUPS)).allSatisfy(r -> assertThat(r.getValue().requestId).isEqualTo("r1"));
  }

  @Test
  void dead_letter_a_corrupt_episode_and_a_duplicate_and_keep_going() throws Exception {
    harness.processElement(new RawRecord("attune.episodes", 0, 3, "r1".getBytes(), new byte[] {1, 2, 3}), 10);
    harness.processElement(record(4, "r1", PreferenceRulesTest.episode()), 10);
    harness.processElement(record(5, "r1", PreferenceRulesTest.episode()), 10);

    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.BAD_HEADER, DeadLetterReason.DUPLICATE);
    assertThat(deadLetters()).extracting(DeadLetter::getOffset).containsExactly(3L, 5L);
    assertThat(harness.extractOutputValues()).singleElement().satisfies(a -> assertThat(a.record.offset).isEqualTo(4));
  }

  @Test
  void dead_letter_episodes_that_break_the_contract_with_the_reason() throws Exception {
    FeedbackEpisode nan = withRequestId("r2", "p1");
    nan.setCandidates(PreferenceRulesTest.episode().getCandidates());
    nan.getLlmFeedback().get(0).getPassageScores().get(0).setScore(Double.NaN);
    FeedbackEpisode negativeRank = withRequestId("r3", "p1");
    negativeRank.setCandidates(List.of(new dev.attune.schemas.EpisodeCandidate("p1", -2, 0.5f)));
    FeedbackEpisode first = withRequestId("r4", "p1");
    first.setCandidates(PreferenceRulesTest.episode().getCandidates());
    FeedbackEpisode second = withRequestId("r5", "p1");
    second.setCandidates(PreferenceRulesTest.episode().getCandidates());

    harness.processElement(record(1, "r2", nan), 10);
    harness.processElement(record(2, "r3", negativeRank), 10);
    harness.processElement(record(3, null, first), 10);
    harness.processElement(record(4, null, second), 10);
    harness.processElement(record(5, "r1", second), 10);
    harness.processElement(record(6, "r4", first), 10);

    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(
        DeadLetterReason.NON_FINITE_SCORE, DeadLetterReason.INVALID_RANK, DeadLetterReason.KEY_MISMATCH,
        DeadLetterReason.KEY_MISMATCH, DeadLetterReason.KEY_MISMATCH);
    assertThat(harness.extractOutputValues()).as("the keyed copy of r4, no longer shadowed by a null key")
        .singleElement().satisfies(a -> assertThat(a.record.key).isEqualTo("r4"));
  }
}

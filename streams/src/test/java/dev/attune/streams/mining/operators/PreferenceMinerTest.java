package dev.attune.streams.mining.operators;

import dev.attune.streams.mining.rules.PreferenceRulesTest;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.MiningConfig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingExample;
import java.util.List;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.api.common.typeinfo.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PreferenceMinerTest {
  private static final MiningConfig RULES = MiningConfig.defaults().withPassageWaitMs(5_000);
  private KeyedBroadcastOperatorTestHarness<String, RawRecord, CorpusUpdate, KeyedBytes> harness;

  @BeforeEach
  void open() throws Exception {
    harness = harness(false);
  }

  private static KeyedBroadcastOperatorTestHarness<String, RawRecord, CorpusUpdate, KeyedBytes> harness(boolean bounded)
      throws Exception {
    KeyedBroadcastProcessFunction<String, RawRecord, CorpusUpdate, KeyedBytes> miner = new PreferenceMiner(RULES, bounded);
    var h = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(miner, r -> r.key, Types.STRING, PreferenceMiner.CORPUS);
    h.open();
    return h;
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static RawRecord episodeRecord(long offset) {
    FeedbackEpisode e = PreferenceRulesTest.episode();
    return new RawRecord("attune.episodes", 0, offset, "r1".getBytes(), AvroCodec.of(FeedbackEpisode.class).encode(e));
  }

  private void loadCorpus() throws Exception {
    for (CorpusUpdate u : PreferenceRulesTest.CORPUS.values()) harness.processBroadcastElement(u, 0);
  }

  private List<DeadLetter> deadLetters() {
    var codec = AvroCodec.of(DeadLetter.class);
    return harness.getSideOutput(DeadLetterOutput.TAG) == null
        ? List.of()
        : harness.getSideOutput(DeadLetterOutput.TAG).stream().map(r -> codec.decode(r.getValue().value)).toList();
  }

  @Test
  void emit_example_when_corpus_is_known() throws Exception {
    loadCorpus();

    harness.processElement(episodeRecord(0), 10);

    List<KeyedBytes> out = harness.extractOutputValues();
    assertThat(out).hasSize(1);
    TrainingExample example = AvroCodec.of(TrainingExample.class).decode(out.get(0).value);
    assertThat(example.getExampleId()).isEqualTo("r1");
    assertThat(example.getHardNegatives()).containsExactly("p2");
  }

  @Test
  void wait_for_late_corpus_then_emit() throws Exception {
    harness.setProcessingTime(0);
    harness.processElement(episodeRecord(0), 10);
    assertThat(harness.extractOutputValues()).isEmpty();

    loadCorpus();
    harness.setProcessingTime(1_000);

    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(deadLetters()).isEmpty();
  }

  @Test
  void dead_letter_episode_whose_passages_never_arrive() throws Exception {
    harness.setProcessingTime(0);
    harness.processElement(episodeRecord(7), 10);

    for (long t = 1_000; t <= 6_000; t += 1_000) harness.setProcessingTime(t);

    assertThat(harness.extractOutputValues()).isEmpty();
    List<DeadLetter> letters = deadLetters();
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).getReason()).isEqualTo(DeadLetterReason.UNKNOWN_PASSAGE);
    assertThat(letters.get(0).getOffset()).isEqualTo(7);
  }

  @Test
  void dead_letter_corrupt_episode_and_keep_mining() throws Exception {
    loadCorpus();

    harness.processElement(new RawRecord("attune.episodes", 0, 3, "r1".getBytes(), new byte[] {1, 2, 3}), 10);
    harness.processElement(episodeRecord(4), 10);

    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.BAD_HEADER);
    assertThat(harness.extractOutputValues()).hasSize(1);
  }

  @Test
  void mine_a_duplicated_episode_once() throws Exception {
    loadCorpus();

    harness.processElement(episodeRecord(0), 10);
    harness.processElement(episodeRecord(1), 10);

    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.DUPLICATE);
  }

  @Test
  void emit_silver_sequence_teacher_observation_and_preferences_with_the_example() throws Exception {
    loadCorpus();

    harness.processElement(episodeRecord(0), 10);

    var silver = harness.getSideOutput(PreferenceMiner.SILVER);
    assertThat(silver).hasSize(1);
    SilverSequence s = AvroCodec.of(SilverSequence.class).decode(silver.peek().getValue().value);
    assertThat(s.getRequestId()).isEqualTo("r1");
    assertThat(harness.getSideOutput(PreferenceMiner.TEACHER)).singleElement()
        .satisfies(o -> assertThat(o.getValue().passageIds).containsExactly("p1", "p2", "p3", "p4"));
    assertThat(harness.getSideOutput(PreferenceMiner.PREFERENCES)).singleElement()
        .satisfies(p -> assertThat(p.getValue().llmTopK).containsEntry("unigram-lm", List.of("p3", "p1")));
  }

  @Test
  void drop_a_deleted_passage_instead_of_waiting_for_it() throws Exception {
    loadCorpus();
    harness.processBroadcastElement(new CorpusUpdate("p2", true, null, null), 0);

    harness.processElement(episodeRecord(0), 10);

    TrainingExample example = AvroCodec.of(TrainingExample.class).decode(harness.extractOutputValues().get(0).value);
    assertThat(example.getHardNegatives()).isEmpty();
    assertThat(example.getCandidates()).extracting(c -> c.getPassageId()).doesNotContain("p2");
  }

  @Test
  void give_waiting_episodes_their_last_try_at_the_end_of_a_bounded_run() throws Exception {
    harness.close();
    harness = harness(true);
    harness.setProcessingTime(0);
    harness.processElement(episodeRecord(0), 10);
    harness.processElement(
        new RawRecord("attune.episodes", 0, 1, "r9".getBytes(), AvroCodec.of(FeedbackEpisode.class).encode(withRequestId("r9", "p404"))), 10);
    loadCorpus();

    harness.processWatermark(Long.MAX_VALUE);
    harness.processBroadcastWatermark(Long.MAX_VALUE);

    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.UNKNOWN_PASSAGE);
  }

  private static FeedbackEpisode withRequestId(String requestId, String extraPassage) {
    FeedbackEpisode e = PreferenceRulesTest.episode();
    e.setRequestId(requestId);
    e.getQuery().setRequestId(requestId);
    e.getLlmFeedback().forEach(l -> l.setRequestId(requestId));
    var candidates = new java.util.ArrayList<>(e.getCandidates());
    candidates.add(new dev.attune.schemas.EpisodeCandidate(extraPassage, 9, 0.1f));
    e.setCandidates(candidates);
    return e;
  }

  @Test
  void dead_letter_episodes_that_break_the_contract_with_the_reason() throws Exception {
    loadCorpus();
    FeedbackEpisode nan = withRequestId("r2", "p1");
    nan.setCandidates(PreferenceRulesTest.episode().getCandidates());
    nan.getLlmFeedback().get(0).getPassageScores().get(0).setScore(Double.NaN);
    FeedbackEpisode negativeRank = withRequestId("r3", "p1");
    negativeRank.setCandidates(List.of(new dev.attune.schemas.EpisodeCandidate("p1", -2, 0.5f)));
    FeedbackEpisode first = withRequestId("r4", "p1");
    first.setCandidates(PreferenceRulesTest.episode().getCandidates());
    FeedbackEpisode second = withRequestId("r5", "p1");
    second.setCandidates(PreferenceRulesTest.episode().getCandidates());
    var codec = AvroCodec.of(FeedbackEpisode.class);

    harness.processElement(new RawRecord("attune.episodes", 0, 1, "r2".getBytes(), codec.encode(nan)), 10);
    harness.processElement(new RawRecord("attune.episodes", 0, 2, "r3".getBytes(), codec.encode(negativeRank)), 10);
    harness.processElement(new RawRecord("attune.episodes", 0, 3, null, codec.encode(first)), 10);
    harness.processElement(new RawRecord("attune.episodes", 0, 4, null, codec.encode(second)), 10);
    harness.processElement(new RawRecord("attune.episodes", 0, 5, "r1".getBytes(), codec.encode(second)), 10);
    harness.processElement(new RawRecord("attune.episodes", 0, 6, "r4".getBytes(), codec.encode(first)), 10);

    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(
        DeadLetterReason.NON_FINITE_SCORE, DeadLetterReason.INVALID_RANK, DeadLetterReason.KEY_MISMATCH,
        DeadLetterReason.KEY_MISMATCH, DeadLetterReason.KEY_MISMATCH);
    assertThat(harness.extractOutputValues()).as("the keyed copy of r4, no longer shadowed by a null key")
        .singleElement().satisfies(k -> assertThat(k.key).isEqualTo("r4"));
  }
}

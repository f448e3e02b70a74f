package dev.attune.streams.mining.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.SilverSequence;
import dev.attune.schemas.TrainingExample;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.MiningConfig;
import dev.attune.streams.mining.rules.PreferenceRules;
import dev.attune.streams.mining.rules.PreferenceRulesTest;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The miner once the corpus has answered: in either order, with deletions and unknown passages. */
class PreferenceMinerTest {
  private static final MiningConfig RULES = MiningConfig.defaults().withPassageWaitMs(5_000);
  private KeyedTwoInputStreamOperatorTestHarness<String, AdmittedEpisode, PassageAnswer, KeyedBytes> harness;

  @BeforeEach
  void open() throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new PreferenceMiner(RULES), e -> e.record.key, a -> a.requestId, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static AdmittedEpisode episodeRecord(long offset) {
    FeedbackEpisode episode = PreferenceRulesTest.episode();
    return new AdmittedEpisode(new RawRecord("attune.episodes", 0, offset, "r1".getBytes(), AvroCodec.of(FeedbackEpisode.class).encode(episode)),
        PreferenceRules.referencedPassages(episode).size());
  }

  private void answer(String passageId, CorpusUpdate entry) throws Exception {
    harness.processElement2(new PassageAnswer("r1", passageId, entry), 0);
  }

  private void answerAll() throws Exception {
    for (CorpusUpdate u : PreferenceRulesTest.CORPUS.values()) answer(u.passageId, u);
  }

  private List<DeadLetter> deadLetters() {
    var codec = AvroCodec.of(DeadLetter.class);
    var out = harness.getSideOutput(DeadLetterOutput.TAG);
    return out == null ? List.of() : out.stream().map(r -> codec.decode(r.getValue().value)).toList();
  }

  private TrainingExample example() {
    assertThat(harness.extractOutputValues()).hasSize(1);
    return AvroCodec.of(TrainingExample.class).decode(harness.extractOutputValues().get(0).value);
  }

  @Test
  void mine_once_every_passage_is_answered_after_the_episode() throws Exception {
    harness.processElement1(episodeRecord(0), 10);
    answer("p1", PreferenceRulesTest.CORPUS.get("p1"));
    assertThat(harness.extractOutputValues()).as("still waiting for p2..p4").isEmpty();

    answerAll();

    assertThat(example().getExampleId()).isEqualTo("r1");
    assertThat(example().getHardNegatives()).containsExactly("p2");
  }

  @Test
  void mine_when_the_answers_come_before_the_episode() throws Exception {
    answerAll();
    assertThat(harness.extractOutputValues()).isEmpty();

    harness.processElement1(episodeRecord(0), 10);

    assertThat(example().getExampleId()).isEqualTo("r1");
    assertThat(deadLetters()).isEmpty();
  }

  @Test
  void dead_letter_an_episode_whose_passage_the_corpus_never_had() throws Exception {
    harness.processElement1(episodeRecord(7), 10);
    for (CorpusUpdate u : PreferenceRulesTest.CORPUS.values()) answer(u.passageId, u.passageId.equals("p3") ? null : u);

    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(deadLetters()).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_PASSAGE);
      assertThat(d.getOffset()).isEqualTo(7);
      assertThat(d.getDetail()).contains("[p3]").contains("5000 ms");
    });
  }

  @Test
  void drop_a_deleted_passage_from_the_example() throws Exception {
    harness.processElement1(episodeRecord(0), 10);
    for (CorpusUpdate u : PreferenceRulesTest.CORPUS.values()) answer(u.passageId, u.passageId.equals("p2") ? new CorpusUpdate("p2", true, null, null) : u);

    assertThat(example().getHardNegatives()).isEmpty();
    assertThat(example().getCandidates()).extracting(c -> c.getPassageId()).doesNotContain("p2");
  }

  @Test
  void emit_silver_sequence_teacher_observation_and_preferences_with_the_example() throws Exception {
    harness.processElement1(episodeRecord(0), 10);
    answerAll();

    var silver = harness.getSideOutput(PreferenceMiner.SILVER);
    assertThat(silver).hasSize(1);
    SilverSequence s = AvroCodec.of(SilverSequence.class).decode(silver.peek().getValue().value);
    assertThat(s.getRequestId()).isEqualTo("r1");
    assertThat(harness.getSideOutput(PreferenceMiner.TEACHER)).singleElement()
        .satisfies(o -> assertThat(o.getValue().passageIds).containsExactly("p1", "p2", "p3", "p4"));
    assertThat(harness.getSideOutput(PreferenceMiner.PREFERENCES)).singleElement()
        .satisfies(p -> assertThat(p.getValue().llmTopK).containsEntry("unigram-lm", List.of("p3", "p1")));
  }
}

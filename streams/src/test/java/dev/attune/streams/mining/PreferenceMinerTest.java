package dev.attune.streams.mining;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.FeedbackEpisode;
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
  private static final MiningConfig RULES = new MiningConfig(2, 10, 4, 1.0, 5_000, 1_000);
  private KeyedBroadcastOperatorTestHarness<String, RawRecord, CorpusUpdate, KeyedBytes> harness;

  @BeforeEach
  void open() throws Exception {
    KeyedBroadcastProcessFunction<String, RawRecord, CorpusUpdate, KeyedBytes> miner = new PreferenceMiner(RULES);
    harness =
        ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
            miner, r -> r.key, Types.STRING, PreferenceMiner.CORPUS);
    harness.open();
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
  void should_emit_example_when_corpus_is_known() throws Exception {
    loadCorpus();

    harness.processElement(episodeRecord(0), 10);

    List<KeyedBytes> out = harness.extractOutputValues();
    assertThat(out).hasSize(1);
    TrainingExample example = AvroCodec.of(TrainingExample.class).decode(out.get(0).value);
    assertThat(example.getExampleId()).isEqualTo("r1");
    assertThat(example.getHardNegatives()).containsExactly("p2");
  }

  @Test
  void should_wait_for_late_corpus_then_emit() throws Exception {
    harness.setProcessingTime(0);
    harness.processElement(episodeRecord(0), 10);
    assertThat(harness.extractOutputValues()).isEmpty();

    loadCorpus();
    harness.setProcessingTime(1_000);

    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(deadLetters()).isEmpty();
  }

  @Test
  void should_dead_letter_episode_whose_passages_never_arrive() throws Exception {
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
  void should_dead_letter_corrupt_episode_and_keep_mining() throws Exception {
    loadCorpus();

    harness.processElement(new RawRecord("attune.episodes", 0, 3, "r1".getBytes(), new byte[] {1, 2, 3}), 10);
    harness.processElement(episodeRecord(4), 10);

    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.BAD_HEADER);
    assertThat(harness.extractOutputValues()).hasSize(1);
  }
}

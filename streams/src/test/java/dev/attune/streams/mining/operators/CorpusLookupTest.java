package dev.attune.streams.mining.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.MiningConfig;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CorpusLookupTest {
  private static final MiningConfig RULES = MiningConfig.defaults().withPassageWaitMs(5_000);
  private KeyedTwoInputStreamOperatorTestHarness<String, CorpusUpdate, PassageLookup, PassageAnswer> harness;

  private void open(boolean bounded) throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new CorpusLookup(RULES.passageWaitMs(), bounded), u -> u.passageId, l -> l.passageId, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private List<String> answers() {
    return harness.extractOutputValues().stream()
        .map(a -> a.requestId + ":" + a.passageId + "=" + (a.entry == null ? "unknown" : a.entry.deleted ? "deleted" : a.entry.text())).toList();
  }

  @Test
  void a_passage_the_corpus_holds_is_answered_at_once_with_its_latest_text() throws Exception {
    open(false);
    harness.processElement1(new CorpusUpdate("p1", false, "T", "old"), 0);
    harness.processElement1(new CorpusUpdate("p1", false, "T", "new"), 0);

    harness.processElement2(new PassageLookup("p1", "r1"), 0);

    assertThat(answers()).containsExactly("r1:p1=new");
  }

  @Test
  void a_lookup_waits_for_a_late_passage_and_is_answered_when_it_arrives() throws Exception {
    open(false);
    harness.setProcessingTime(0);
    harness.processElement2(new PassageLookup("p9", "r1"), 0);
    harness.processElement2(new PassageLookup("p9", "r2"), 0);
    harness.setProcessingTime(1_000);
    assertThat(answers()).isEmpty();

    harness.processElement1(new CorpusUpdate("p9", false, "T", "late"), 0);

    assertThat(answers()).containsExactlyInAnyOrder("r1:p9=late", "r2:p9=late");
    harness.setProcessingTime(10_000);
    assertThat(answers()).as("answered once, not again at the deadline").hasSize(2);
  }

  @Test
  void a_passage_that_never_arrives_is_answered_unknown_after_the_wait() throws Exception {
    open(false);
    harness.setProcessingTime(0);
    harness.processElement2(new PassageLookup("p404", "r1"), 0);
    harness.setProcessingTime(2_000);
    harness.processElement2(new PassageLookup("p404", "r2"), 0);

    harness.setProcessingTime(5_000);
    assertThat(answers()).containsExactly("r1:p404=unknown");
    harness.setProcessingTime(7_000);
    assertThat(answers()).containsExactly("r1:p404=unknown", "r2:p404=unknown");
  }

  @Test
  void a_deleted_passage_is_answered_deleted_not_waited_for() throws Exception {
    open(false);
    harness.processElement1(new CorpusUpdate("p2", false, "T", "text"), 0);
    harness.processElement1(new CorpusUpdate("p2", true, null, null), 0);

    harness.processElement2(new PassageLookup("p2", "r1"), 0);

    assertThat(answers()).containsExactly("r1:p2=deleted");
  }

  @Test
  void the_end_of_a_bounded_run_answers_every_waiting_lookup() throws Exception {
    open(true);
    harness.setProcessingTime(0);
    harness.processElement2(new PassageLookup("p404", "r1"), 0);

    harness.processWatermark1(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));
    harness.processWatermark2(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));

    assertThat(answers()).containsExactly("r1:p404=unknown");
  }
}

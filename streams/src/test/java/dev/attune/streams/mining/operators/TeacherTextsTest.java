package dev.attune.streams.mining.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.TeacherCandidate;
import dev.attune.schemas.TeacherDistribution;
import dev.attune.streams.mining.rules.CorpusUpdate;
import dev.attune.streams.mining.rules.TeacherAccumulator;
import dev.attune.streams.mining.rules.TeacherObservation;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TeacherTextsTest {
  private KeyedTwoInputStreamOperatorTestHarness<String, TeacherAccumulator, PassageAnswer, KeyedBytes> harness;

  private void open(int maxRecordBytes) throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(
        new TeacherTexts(1.0, maxRecordBytes), TeacherAccumulator::id, a -> a.requestId, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static TeacherAccumulator window(String... ids) {
    TeacherObservation o = new TeacherObservation();
    o.key = TeacherObservation.key("qa", "who wrote hamlet", "llm-a", "ANSWER_LOG_LIKELIHOOD");
    o.requestId = "r1";
    o.task = "qa";
    o.query = "who wrote hamlet";
    o.llmId = "llm-a";
    o.signalKind = "ANSWER_LOG_LIKELIHOOD";
    for (int i = 0; i < ids.length; i++) {
      o.passageIds.add(ids[i]);
      o.scores.add(-1.0 - i);
    }
    TeacherAccumulator acc = TeacherAccumulator.start(o, 100);
    acc.add(o);
    return acc.close(200);
  }

  private static List<PassageLookup> lookups(TeacherAccumulator window) {
    List<PassageLookup> out = new ArrayList<>();
    new TeacherTexts.Lookups().flatMap(window, new Collector<>() {
      @Override
      public void collect(PassageLookup record) {
        out.add(record);
      }

      @Override
      public void close() {}
    });
    return out;
  }

  private List<TeacherDistribution> distributions() {
    AvroCodec<TeacherDistribution> codec = AvroCodec.of(TeacherDistribution.class);
    return harness.extractOutputValues().stream().map(b -> codec.decode(b.value, Integer.MAX_VALUE)).toList();
  }

  @Test
  void a_closed_window_gets_the_corpus_texts_whichever_arrives_first() throws Exception {
    open(1 << 20);
    TeacherAccumulator w = window("p1", "p2");
    List<PassageLookup> asked = lookups(w);
    assertThat(asked).extracting(l -> l.passageId).containsExactly("p1", "p2");
    assertThat(asked).extracting(l -> l.requestId).containsOnly(w.id());

    harness.processElement2(new PassageAnswer(w.id(), "p2", new CorpusUpdate("p2", false, "T2", "second text")), 0);
    assertThat(distributions()).isEmpty();
    harness.processElement1(w, 0);
    assertThat(distributions()).as("waits for every passage").isEmpty();
    harness.processElement2(new PassageAnswer(w.id(), "p1", new CorpusUpdate("p1", false, "T1", "first text")), 0);

    assertThat(distributions()).singleElement().satisfies(d -> {
      assertThat(d.getCandidates()).extracting(TeacherCandidate::getText).containsExactly("first text", "second text");
      assertThat(d.getWindowEndMs()).isEqualTo(200);
    });
    assertThat(harness.numKeyedStateEntries()).as("nothing left waiting").isZero();
  }

  @Test
  void a_passage_deleted_since_it_was_scored_is_left_out() throws Exception {
    open(1 << 20);
    TeacherAccumulator w = window("p1", "p2");
    harness.processElement1(w, 0);
    harness.processElement2(new PassageAnswer(w.id(), "p1", new CorpusUpdate("p1", true, null, null)), 0);
    harness.processElement2(new PassageAnswer(w.id(), "p2", new CorpusUpdate("p2", false, "T2", "second text")), 0);

    assertThat(distributions()).singleElement().satisfies(d ->
        assertThat(d.getCandidates()).extracting(TeacherCandidate::getPassageId).containsExactly("p2"));
  }

  @Test
  void a_distribution_over_the_record_limit_is_dead_lettered_not_sent() throws Exception {
    open(300);
    TeacherAccumulator w = window("p1");
    harness.processElement1(w, 0);
    harness.processElement2(new PassageAnswer(w.id(), "p1", new CorpusUpdate("p1", false, "T", "x".repeat(400))), 0);

    assertThat(distributions()).isEmpty();
    assertThat(harness.getSideOutput(DeadLetterOutput.TAG)).singleElement().satisfies(r -> {
      DeadLetter letter = AvroCodec.of(DeadLetter.class).decode(r.getValue().value, Integer.MAX_VALUE);
      assertThat(letter.getReason()).isEqualTo(DeadLetterReason.OVERSIZED);
      assertThat(letter.getDetail()).contains("over maxRecordBytes 300");
    });
  }
}

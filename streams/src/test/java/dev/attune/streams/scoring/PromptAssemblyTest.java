package dev.attune.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.PassageAnswer;
import dev.attune.streams.mining.operators.RawRecord;
import dev.attune.streams.mining.rules.CorpusUpdate;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PromptAssemblyTest {
  private KeyedTwoInputStreamOperatorTestHarness<String, ScoringRequest, PassageAnswer, ScoringTask> harness;

  @BeforeEach
  void open() throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(new PromptAssembly(RequestJoinTest.CONFIG), r -> r.requestId,
        a -> a.requestId, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static ScoringRequest request(String eventId, List<String> passages) {
    RawRecord raw = new RawRecord("a", 0, 0, "r1".getBytes(), new byte[] {1});
    return new ScoringRequest("r1", "who won", false, passages, List.of(new ScoringRequest.Answer("Denver", eventId, raw)));
  }

  private static PassageAnswer text(String id, String text) {
    return new PassageAnswer("r1", id, new CorpusUpdate(id, false, "T", text));
  }

  @Test
  void a_request_goes_on_once_every_passage_is_answered_without_those_the_corpus_lacks() throws Exception {
    harness.processElement1(request("a1", List.of("p1", "p2", "p3")), 0);
    harness.processElement2(text("p1", "one"), 0);
    harness.processElement2(new PassageAnswer("r1", "p2", null), 0); // unknown
    assertThat(harness.extractOutputValues()).isEmpty();

    harness.processElement2(text("p3", "three"), 0);

    assertThat(harness.extractOutputValues()).singleElement().satisfies(t -> {
      assertThat(t.passageIds).containsExactly("p1", "p3");
      assertThat(t.texts).containsExactly("one", "three");
    });
    // Served: the texts are gone from the state; an answer that comes later waits for its own lookups.
    assertThat(harness.numKeyedStateEntries()).as("only the expiry left").isEqualTo(1);
    harness.processElement1(request("a2", List.of("p1")), 0);
    assertThat(harness.extractOutputValues()).hasSize(1);
    harness.processElement2(text("p1", "one again"), 0);
    assertThat(harness.extractOutputValues()).hasSize(2).last().satisfies(t -> assertThat(t.texts).containsExactly("one again"));
  }

  @Test
  void texts_that_overtake_their_request_wait_for_it_and_go_once_it_is_served() throws Exception {
    harness.processElement2(text("p1", "one"), 0);
    harness.processElement1(request("a1", List.of("p1")), 0);

    assertThat(harness.extractOutputValues()).singleElement().satisfies(t -> assertThat(t.texts).containsExactly("one"));
    assertThat(harness.numKeyedStateEntries()).as("only the expiry left").isEqualTo(1);
  }

  @Test
  void a_second_round_of_lookups_in_flight_keeps_its_texts_until_its_answers_are_in() throws Exception {
    harness.processElement1(request("a1", List.of("p1")), 0);
    harness.processElement1(request("a2", List.of("p1")), 0); // its own lookup, still on its way
    harness.processElement2(text("p1", "one"), 0); // the first round's answer serves both

    assertThat(harness.extractOutputValues()).extracting(t -> t.answer.eventId).containsExactly("a1", "a2");
    assertThat(harness.numKeyedStateEntries()).as("p1 still expects an answer").isEqualTo(2);
    harness.processElement2(text("p1", "one"), 0);
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
    assertThat(harness.extractOutputValues()).hasSize(2);
  }

  @Test
  void a_request_whose_passages_are_all_gone_is_dead_lettered() throws Exception {
    harness.processElement1(request("a1", List.of("p1")), 0);
    harness.processElement2(new PassageAnswer("r1", "p1", new CorpusUpdate("p1", true, null, null)), 0);

    assertThat(harness.extractOutputValues()).isEmpty();
    List<DeadLetter> letters = harness.getSideOutput(DeadLetterOutput.TAG).stream()
        .map(r -> AvroCodec.of(DeadLetter.class).decode(r.getValue().value)).toList();
    assertThat(letters).singleElement().satisfies(d -> {
      assertThat(d.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_PASSAGE);
      assertThat(d.getDetail()).contains("none of request r1's passages");
    });
  }
}

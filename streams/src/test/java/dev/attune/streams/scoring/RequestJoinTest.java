package dev.attune.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AnswerEvent;
import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.RankedPassage;
import dev.attune.schemas.RetrievalEvent;
import dev.attune.streams.mining.operators.DeadLetterOutput;
import dev.attune.streams.mining.operators.RawRecord;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RequestJoinTest {
  static final ScoringConfig CONFIG =
      ScoringConfig.of(CompletionsClient.Settings.of(URI.create("http://localhost:1"), "m")).withWaits(10_000, 1_000);
  private KeyedOneInputStreamOperatorTestHarness<String, RawRecord, ScoringRequest> harness;
  private long offset;

  private void open(ScoringConfig config) throws Exception {
    harness = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new RequestJoin(config, "q", "r", "a"), r -> r.key, Types.STRING);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private <T extends SpecificRecord> void send(String topic, String key, T event) throws Exception {
    @SuppressWarnings("unchecked")
    byte[] bytes = AvroCodec.of((Class<T>) event.getClass()).encode(event);
    harness.processElement(new RawRecord(topic, 0, offset++, key.getBytes(), bytes), 0);
  }

  static QueryEvent query(String id) {
    return QueryEvent.newBuilder().setEventId("q-" + id).setRequestId(id).setTimestampMs(0).setTask("qa").setQuery("who won")
        .setRetrieverVersion("v0").setIndexVersion("v0").build();
  }

  static RetrievalEvent retrieval(String id, float margin) {
    List<RankedPassage> ranked = new ArrayList<>();
    // Listed out of rank order: the join orders by rank.
    ranked.add(new RankedPassage("p2", 2, 0.9f - margin));
    ranked.add(new RankedPassage("p1", 1, 0.9f));
    ranked.add(new RankedPassage("p3", 3, 0.1f));
    return RetrievalEvent.newBuilder().setEventId("r-" + id).setRequestId(id).setTimestampMs(0).setRetrieverVersion("v0")
        .setIndexVersion("v0").setCandidates(ranked).build();
  }

  static AnswerEvent answer(String id, String eventId) {
    return AnswerEvent.newBuilder().setEventId(eventId).setRequestId(id).setTimestampMs(0).setAnswer("Denver").build();
  }

  private List<DeadLetter> deadLetters() {
    var out = harness.getSideOutput(DeadLetterOutput.TAG);
    return out == null ? List.of() : out.stream().map(r -> AvroCodec.of(DeadLetter.class).decode(r.getValue().value)).toList();
  }

  @Test
  void an_answer_waits_for_its_query_and_retrieval_in_any_order_and_its_passages_are_looked_up_for_it() throws Exception {
    open(CONFIG);
    send("a", "r1", answer("r1", "a1"));
    send("a", "r1", answer("r1", "a2")); // a second answer (another LLM's) for the same request
    send("r", "r1", retrieval("r1", 0.2f));
    assertThat(harness.extractOutputValues()).isEmpty();

    send("q", "r1", query("r1"));
    send("a", "r1", answer("r1", "a3")); // one that comes later

    assertThat(harness.extractOutputValues()).extracting(r -> r.answers.stream().map(a -> a.eventId).toList())
        .containsExactly(List.of("a1", "a2"), List.of("a3"));
    ScoringRequest first = harness.extractOutputValues().get(0);
    assertThat(first.query).isEqualTo("who won");
    assertThat(first.passageIds).containsExactly("p1", "p2", "p3");
    assertThat(first.uncertain).isFalse();
    // Once for a1 and a2, which went on together when the query came, once for a3 (texts are not kept between).
    assertThat(harness.getSideOutput(RequestJoin.LOOKUPS)).extracting(r -> r.getValue().passageId)
        .containsExactly("p1", "p2", "p3", "p1", "p2", "p3");
  }

  @Test
  void close_top_scores_make_a_request_uncertain() throws Exception {
    open(CONFIG);
    send("q", "r1", query("r1"));
    send("r", "r1", retrieval("r1", 0.001f));
    send("a", "r1", answer("r1", "a1"));

    assertThat(harness.extractOutputValues()).singleElement().satisfies(r -> assertThat(r.uncertain).isTrue());
  }

  @Test
  void duplicates_bad_records_and_orphaned_answers_are_dead_lettered_with_their_reason() throws Exception {
    open(CONFIG);
    send("q", "r1", query("r1"));
    send("q", "r1", query("r1"));
    send("a", "r1", answer("r1", "a1"));
    send("a", "r1", answer("r1", "a1"));
    send("a", "r1", answer("r2", "a9")); // keyed by another request
    harness.processElement(new RawRecord("a", 0, offset++, "r1".getBytes(), "junk".getBytes()), 0);
    send("a", "r3", answer("r3", "a3")); // never gets its query or retrieval

    assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(
        DeadLetterReason.DUPLICATE, DeadLetterReason.DUPLICATE, DeadLetterReason.KEY_MISMATCH, DeadLetterReason.BAD_HEADER);
    harness.setProcessingTime(CONFIG.requestWaitMs());
    List<DeadLetter> unjoinable = deadLetters().stream().filter(d -> d.getReason().equals(DeadLetterReason.UNJOINABLE)).toList();
    assertThat(unjoinable).extracting(DeadLetter::getDetail).containsExactlyInAnyOrder(
        "no retrieval for request r1 within 10000 ms", "no query and retrieval for request r3 within 10000 ms");
    assertThat(unjoinable).allSatisfy(d -> assertThat(d.getStage()).isEqualTo("scorer"));
    assertThat(harness.extractOutputValues()).isEmpty();
  }

  @Test
  void a_sampled_out_request_goes_no_further_but_an_uncertain_one_always_does() throws Exception {
    open(CONFIG.withBudget(ScoringBudget.unlimited().withSampleFraction(1e-9)));
    send("q", "r1", query("r1"));
    send("r", "r1", retrieval("r1", 0.2f));
    send("a", "r1", answer("r1", "a1"));
    send("q", "r2", query("r2"));
    send("r", "r2", retrieval("r2", 0.001f));
    send("a", "r2", answer("r2", "a2"));

    assertThat(harness.extractOutputValues()).extracting(r -> r.requestId).containsExactly("r2");
    assertThat(harness.getSideOutput(RequestJoin.LOOKUPS)).allSatisfy(l -> assertThat(l.getValue().requestId).isEqualTo("r2"));
  }
}

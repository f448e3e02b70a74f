package dev.attune.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class AvroCodecTest {
  private final AvroCodec<RetrievalEvent> codec = AvroCodec.of(RetrievalEvent.class);

  static RetrievalEvent retrieval() {
    return RetrievalEvent.newBuilder()
        .setEventId("e1")
        .setRequestId("r1")
        .setTimestampMs(1_000L)
        .setRetrieverVersion("retriever-v0")
        .setIndexVersion("retriever-v0")
        .setCandidates(
            new ArrayList<>(
                List.of(new RankedPassage("p1", 1, 0.9f), new RankedPassage("p2", 2, 0.5f))))
        .build();
  }

  @Test
  void round_trip_single_object_encoding() {
    byte[] bytes = codec.encode(retrieval());

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(codec.decode(bytes)).isEqualTo(retrieval());
  }

  @Test
  void write_the_bytes_avros_message_encoder_writes() throws Exception {
    java.nio.ByteBuffer avro = new BinaryMessageEncoder<RetrievalEvent>(org.apache.avro.specific.SpecificData.get(),
        RetrievalEvent.getClassSchema()).encode(retrieval());
    byte[] expected = new byte[avro.remaining()];
    avro.get(expected);

    assertThat(codec.encode(retrieval())).isEqualTo(expected);
  }

  @Test
  void round_trip_a_record_past_the_kept_buffer_and_the_next_small_one() {
    AvroCodec<PassageEvent> passages = AvroCodec.of(PassageEvent.class);
    PassageEvent large = PassageEvent.newBuilder().setPassageId("p").setTimestampMs(1).setOp(PassageOp.UPSERT)
        .setTitle("t").setText("é".repeat(700_000)).build();
    PassageEvent small = PassageEvent.newBuilder(large).setText("short").build();

    assertThat(passages.decode(passages.encode(large), Integer.MAX_VALUE)).isEqualTo(large);
    assertThat(passages.decode(passages.encode(small))).isEqualTo(small);
  }

  @Test
  void encode_a_record_after_one_that_failed_half_way_as_if_alone() {
    byte[] alone = codec.encode(retrieval());
    RetrievalEvent broken = retrieval();
    broken.setRetrieverVersion(null);

    assertThatThrownBy(() -> codec.encode(broken)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RetrievalEvent");
    assertThat(codec.encode(retrieval())).isEqualTo(alone);
  }

  @Test
  void classify_truncated_bytes() {
    byte[] bytes = codec.encode(retrieval());
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 5);

    assertThatThrownBy(() -> codec.decode(truncated))
        .isInstanceOfSatisfying(
            EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.TRUNCATED));
  }

  @Test
  void classify_another_records_fingerprint_as_unknown_schema() {
    byte[] query =
        AvroCodec.of(HumanFeedbackEvent.class)
            .encode(new HumanFeedbackEvent("e", "r", 1L, List.of("p1"), List.of()));

    assertThatThrownBy(() -> codec.decode(query))
        .isInstanceOfSatisfying(
            EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA));
  }

  @Test
  void classify_plain_text_as_bad_header() {
    assertThatThrownBy(() -> codec.decode("hello".getBytes()))
        .isInstanceOfSatisfying(
            EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.BAD_HEADER));
  }

  @Test
  void reject_oversized_payload_before_decoding() {
    assertThatThrownBy(() -> codec.decode(new byte[AvroCodec.MAX_PAYLOAD_BYTES + 1]))
        .isInstanceOfSatisfying(
            EventDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.OVERSIZED));
  }

  @Test
  void reject_negative_rank_and_nan_score() {
    RetrievalEvent negative = retrieval();
    negative.getCandidates().set(0, new RankedPassage("p1", -1, 0.9f));
    RetrievalEvent nan = retrieval();
    nan.getCandidates().set(1, new RankedPassage("p2", 2, Float.NaN));

    assertThat(EventValidator.DEFAULTS.validate(negative))
        .hasValueSatisfying(v -> {
          assertThat(v.reason()).isEqualTo(DeadLetterReason.INVALID_RANK);
          assertThat(v.detail()).contains("-1");
        });
    assertThat(EventValidator.DEFAULTS.validate(nan))
        .hasValueSatisfying(v -> {
          assertThat(v.reason()).isEqualTo(DeadLetterReason.NON_FINITE_SCORE);
          assertThat(v.detail()).contains("NaN");
        });
    assertThat(EventValidator.DEFAULTS.validate(retrieval())).isEmpty();
  }

  @Test
  void decode_a_model_version_written_before_the_index_pairing_existed() throws Exception {
    Schema before = AvroCodec.history(ModelVersion.class).get(0);
    GenericRecord old = new GenericData.Record(before);
    old.put("kind", new GenericData.EnumSymbol(before.getField("kind").schema(), "RETRIEVER"));
    old.put("version", 3);
    old.put("name", "retriever-v3");
    old.put("artifactUri", "file:///models/retriever-v3");
    old.put("parentVersion", 2);
    old.put("createdAtMs", 7L);
    old.put("status", new GenericData.EnumSymbol(before.getField("status").schema(), "PROMOTED"));
    old.put("metrics", Map.of("heldout.ndcg@10", 0.8));
    old.put("trainingExamples", 10L);
    old.put("trainingSteps", 2L);
    old.put("lineage", List.of());
    old.put("reason", "old");
    java.nio.ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), before).encode(old);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);

    ModelVersion decoded = AvroCodec.of(ModelVersion.class).decode(bytes);

    assertThat(decoded.getName()).isEqualTo("retriever-v3");
    assertThat(decoded.getParentVersion()).isEqualTo(2);
    assertThat(decoded.getIndexVersion()).as("a version from before pairing embeds its own passages").isNull();
  }

  @Test
  void keep_every_earlier_training_example_schema_readable() {
    assertThat(AvroCodec.history(TrainingExample.class)).singleElement()
        .satisfies(s -> assertThat(s.getField("humanLabels")).isNull());
    assertThat(TrainingExample.getClassSchema().getField("humanLabels")).isNotNull();
  }

  @Test
  void keep_llm_feedback_and_the_episodes_holding_it_readable_from_before_abstention() {
    for (Class<?> type : List.of(LlmFeedbackEvent.class, FeedbackEpisode.class, PendingEpisode.class)) {
      assertThat(AvroCodec.history(type)).as(type.getSimpleName()).singleElement()
          .satisfies(s -> assertThat(s.toString()).doesNotContain("abstained"));
    }
    assertThat(LlmFeedbackEvent.getClassSchema().getField("abstained").defaultVal()).isEqualTo(false);
  }

  @Test
  void decode_llm_feedback_written_before_abstention_as_not_abstained() throws Exception {
    Schema before = AvroCodec.history(LlmFeedbackEvent.class).get(0);
    GenericRecord old = new GenericData.Record(before);
    old.put("eventId", "l1");
    old.put("requestId", "r1");
    old.put("timestampMs", 1L);
    old.put("llmId", "m");
    old.put("signalKind", new GenericData.EnumSymbol(before.getField("signalKind").schema(), "ANSWER_LOG_LIKELIHOOD"));
    Schema score = before.getField("passageScores").schema().getElementType();
    GenericRecord s = new GenericData.Record(score);
    s.put("passageId", "p1");
    s.put("score", -1.0);
    old.put("passageScores", List.of(s));
    java.nio.ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), before).encode(old);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);

    LlmFeedbackEvent decoded = AvroCodec.of(LlmFeedbackEvent.class).decode(bytes);

    assertThat(decoded.getRequestId()).isEqualTo("r1");
    assertThat(decoded.getAbstained()).isFalse();
  }

  @Test
  void reject_what_exceeds_the_limits_as_oversized() {
    EventValidator small = new EventValidator(new Limits(64, 128, 5, 8, 1));
    QueryEvent longQuery = QueryEvent.newBuilder().setEventId("e").setRequestId("r").setTimestampMs(1).setTask("qa")
        .setQuery("a query of more than five characters").setRetrieverVersion("retriever-v0").setIndexVersion("retriever-v0").build();
    PassageEvent longPassage = PassageEvent.newBuilder().setPassageId("p").setTimestampMs(1)
        .setOp(PassageOp.UPSERT).setTitle("t").setText("more than eight characters").build();

    assertThat(small.validate(longQuery)).hasValueSatisfying(v -> assertThat(v.reason()).isEqualTo(DeadLetterReason.OVERSIZED));
    assertThat(small.validate(longPassage)).hasValueSatisfying(v -> assertThat(v.reason()).isEqualTo(DeadLetterReason.OVERSIZED));
    assertThat(small.validate(retrieval())).as("two candidates, one allowed")
        .hasValueSatisfying(v -> assertThat(v.detail()).contains("candidates has 2 elements"));
    assertThatThrownBy(() -> codec.decode(new byte[65], 64)).isInstanceOfSatisfying(
        EventDecodingException.class, e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.OVERSIZED));
  }

  @Test
  void name_a_missing_key_and_a_key_that_is_not_the_request_id() {
    assertThat(EventValidator.keyMatches(null, "r1", "requestId")).hasValueSatisfying(v -> assertThat(v.detail()).contains("no key"));
    assertThat(EventValidator.keyMatches("r2".getBytes(), "r1", "requestId")).hasValueSatisfying(v -> {
      assertThat(v.reason()).isEqualTo(DeadLetterReason.KEY_MISMATCH);
      assertThat(v.detail()).contains("r2").contains("r1");
    });
    assertThat(EventValidator.keyMatches("r1".getBytes(), "r1", "requestId")).isEmpty();
  }
}

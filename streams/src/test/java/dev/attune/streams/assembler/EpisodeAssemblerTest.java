package dev.attune.streams.assembler;

import dev.attune.schemas.KafkaSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.AvroCodec;
import dev.attune.schemas.DeadLetter;
import dev.attune.schemas.Limits;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.QueryEvent;
import dev.attune.schemas.DeadLetterReason;
import dev.attune.schemas.EpisodeCandidate;
import dev.attune.schemas.FeedbackEpisode;
import dev.attune.schemas.Topic;
import dev.attune.schemas.Topics;
import dev.attune.streams.Events;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EpisodeAssemblerTest {
  private static final Topics TOPICS = Topics.defaults();
  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestOutputTopic<String, FeedbackEpisode> episodes;
  private TestOutputTopic<String, DeadLetter> deadLetters;

  @BeforeEach
  void start() {
    start(AssemblerConfig.defaults(KafkaSettings.of("unused:9092"), stateDir).withWindow(Duration.ofSeconds(30), Duration.ofSeconds(10)));
  }

  private void start(AssemblerConfig config) {
    if (driver != null) driver.close();
    driver = new TopologyTestDriver(EpisodeAssembler.buildTopology(config), EpisodeAssembler.streamsConfig(config));
    episodes = driver.createOutputTopic(TOPICS.episodes().name(), new StringDeserializer(), TOPICS.episodes().valueSerde().deserializer());
    deadLetters = driver.createOutputTopic(TOPICS.deadLetters().name(), new StringDeserializer(), TOPICS.deadLetters().valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private <T extends SpecificRecord> void send(Topic<T> topic, String key, T event) {
    raw(topic).pipeInput(key == null ? null : key.getBytes(), AvroCodec.of(topic.valueType()).encode(event));
  }

  private TestInputTopic<byte[], byte[]> raw(Topic<?> topic) {
    return driver.createInputTopic(topic.name(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private void sendAll(String requestId) {
    send(TOPICS.queries(), requestId, Events.query(requestId));
    send(TOPICS.retrievals(), requestId, Events.retrieval(requestId));
    send(TOPICS.llmFeedback(), requestId, Events.llm(requestId));
    send(TOPICS.humanFeedback(), requestId, Events.human(requestId));
  }

  @Test
  void emit_episode_once_all_four_kinds_arrived() {
    sendAll("r1");

    List<FeedbackEpisode> out = episodes.readValuesToList();
    assertThat(out).hasSize(1);
    FeedbackEpisode e = out.get(0);
    assertThat(e.getEventIds()).containsExactly("q-r1", "r-r1", "l-r1", "h-r1");
    assertThat(e.getCandidates()).extracting(EpisodeCandidate::getPassageId).containsExactly("p1", "p2", "p3", "p4", "p5");
    assertThat(e.getCandidates().get(4).getRetrievalRank()).isNull();
    assertThat(e.getRelevantPassageIds()).containsExactly("p5");
    assertThat(e.getAnswers()).containsExactlyInAnyOrder("Shakespeare", "William Shakespeare");
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void emit_without_human_labels_when_window_closes() {
    send(TOPICS.queries(), "r2", Events.query("r2"));
    send(TOPICS.retrievals(), "r2", Events.retrieval("r2"));
    send(TOPICS.llmFeedback(), "r2", Events.llm("r2"));
    assertThat(episodes.isEmpty()).isTrue();

    driver.advanceWallClockTime(Duration.ofSeconds(41));

    FeedbackEpisode e = episodes.readValue();
    assertThat(e.getRequestId()).isEqualTo("r2");
    assertThat(e.getRelevantPassageIds()).isEmpty();
  }

  @Test
  void dead_letter_every_held_event_of_an_unjoinable_request() {
    send(TOPICS.llmFeedback(), "orphan", Events.llm("orphan"));
    send(TOPICS.humanFeedback(), "orphan", Events.human("orphan"));

    driver.advanceWallClockTime(Duration.ofSeconds(41));

    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).extracting(DeadLetter::getReason).containsOnly(DeadLetterReason.UNJOINABLE).hasSize(2);
    assertThat(letters.get(0).getDetail()).contains("query", "retrieval");
    assertThat(episodes.isEmpty()).isTrue();
  }

  @Test
  void dead_letter_duplicate_event() {
    send(TOPICS.queries(), "r3", Events.query("r3"));
    send(TOPICS.queries(), "r3", Events.query("r3"));

    assertThat(deadLetters.readValue().getReason()).isEqualTo(DeadLetterReason.DUPLICATE);
  }

  @Test
  void dead_letter_key_that_is_not_the_request_id() {
    send(TOPICS.queries(), "other", Events.query("r4"));

    DeadLetter letter = deadLetters.readValue();
    assertThat(letter.getReason()).isEqualTo(DeadLetterReason.KEY_MISMATCH);
    assertThat(letter.getDetail()).contains("other", "r4");
  }

  static Stream<Topic<?>> inputTopics() {
    return TOPICS.assemblerInputs().stream();
  }

  @ParameterizedTest
  @MethodSource("inputTopics")
  void dead_letter_corrupt_record_then_keep_assembling(Topic<?> topic) {
    raw(topic).pipeInput("r5".getBytes(), new byte[] {(byte) 0xC3, 0x01, 1, 2, 3});

    sendAll("r5");

    DeadLetter letter = deadLetters.readValue();
    assertThat(letter.getSourceTopic()).isEqualTo(topic.name());
    assertThat(letter.getReason()).isIn(DeadLetterReason.TRUNCATED, DeadLetterReason.BAD_HEADER, DeadLetterReason.UNKNOWN_SCHEMA);
    assertThat(letter.getPayload().remaining()).isEqualTo(5);
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(episodes.readValue().getRequestId()).isEqualTo("r5");
  }

  @Test
  void dead_letter_empty_candidate_list() {
    var empty = Events.retrieval("r6");
    empty.getCandidates().clear();

    send(TOPICS.retrievals(), "r6", empty);

    DeadLetter letter = deadLetters.readValue();
    assertThat(letter.getReason()).isEqualTo(DeadLetterReason.EMPTY_LIST);
    assertThat(letter.getDetail()).contains("candidates is empty");
  }

  private static <T extends org.apache.avro.specific.SpecificRecordBase> T at(T event, long offsetMs) {
    event.put("timestampMs", Events.T0 + offsetMs);
    return event;
  }

  /** Moves the event clock: an unrelated request's query with that event time. */
  private void clockTo(long offsetMs) {
    String id = "clock-" + offsetMs;
    send(TOPICS.queries(), id, at(Events.query(id), offsetMs));
  }

  @Test
  void join_an_out_of_order_event_that_arrives_within_grace() {
    send(TOPICS.queries(), "r7", at(Events.query("r7"), 5_000));
    send(TOPICS.retrievals(), "r7", at(Events.retrieval("r7"), 0));
    send(TOPICS.llmFeedback(), "r7", at(Events.llm("r7"), 1_000));
    clockTo(35_000);
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    assertThat(episodes.isEmpty()).isTrue();

    send(TOPICS.humanFeedback(), "r7", at(Events.human("r7"), 32_000));

    FeedbackEpisode e = episodes.readValue();
    assertThat(e.getRequestId()).isEqualTo("r7");
    assertThat(e.getRelevantPassageIds()).containsExactly("p5");
  }

  @Test
  void close_on_event_time_and_dead_letter_what_comes_after_grace_as_late() {
    send(TOPICS.queries(), "r8", at(Events.query("r8"), 0));
    send(TOPICS.retrievals(), "r8", at(Events.retrieval("r8"), 0));
    send(TOPICS.llmFeedback(), "r8", at(Events.llm("r8"), 0));
    clockTo(40_000);
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    assertThat(episodes.readValue().getRelevantPassageIds()).isEmpty();

    send(TOPICS.humanFeedback(), "r8", at(Events.human("r8"), 2_000));

    DeadLetter letter = deadLetters.readValue();
    assertThat(letter.getReason()).isEqualTo(DeadLetterReason.LATE);
    assertThat(letter.getDetail()).contains("closed");
    assertThat(letter.getSourceTopic()).isEqualTo(TOPICS.humanFeedback().name());
  }

  @Test
  void dead_letter_an_event_too_old_to_open_a_window_as_late() {
    clockTo(100_000);

    send(TOPICS.queries(), "r9", at(Events.query("r9"), 0));

    DeadLetter letter = deadLetters.readValue();
    assertThat(letter.getReason()).isEqualTo(DeadLetterReason.LATE);
    assertThat(letter.getDetail()).contains("behind the event clock");
  }

  @Test
  void dead_letter_a_replayed_event_of_a_closed_episode_as_duplicate() {
    sendAll("r10");
    assertThat(episodes.readValuesToList()).hasSize(1);

    send(TOPICS.llmFeedback(), "r10", Events.llm("r10"));

    assertThat(deadLetters.readValue().getReason()).isEqualTo(DeadLetterReason.DUPLICATE);
    assertThat(episodes.isEmpty()).isTrue();
  }

  private void sendWithoutLlm(String requestId) {
    send(TOPICS.queries(), requestId, Events.query(requestId));
    send(TOPICS.retrievals(), requestId, Events.retrieval(requestId));
    send(TOPICS.humanFeedback(), requestId, Events.human(requestId));
    driver.advanceWallClockTime(Duration.ofSeconds(41));
  }

  @Test
  void emit_human_only_episode_by_default_when_llm_feedback_never_came() {
    sendWithoutLlm("r11");

    FeedbackEpisode e = episodes.readValue();
    assertThat(e.getLlmFeedback()).isEmpty();
    assertThat(e.getRelevantPassageIds()).containsExactly("p5");
  }

  @Test
  void dead_letter_human_only_episode_when_so_configured() {
    start(AssemblerConfig.defaults(KafkaSettings.of("unused:9092"), stateDir.resolve("strict"))
        .withMissingLlmFeedback(AssemblerConfig.MissingLlmFeedback.DEAD_LETTER));

    sendWithoutLlm("r12");

    assertThat(episodes.isEmpty()).isTrue();
    assertThat(deadLetters.readValuesToList()).extracting(DeadLetter::getReason)
        .containsExactly(DeadLetterReason.NO_LLM_FEEDBACK, DeadLetterReason.NO_LLM_FEEDBACK, DeadLetterReason.NO_LLM_FEEDBACK);
  }

  @Test
  void dead_letter_an_event_that_would_grow_its_episode_past_the_record_limit_then_keep_assembling() {
    start(AssemblerConfig.defaults(KafkaSettings.of("unused:9092"), stateDir).withLimits(new Limits(3_000, 4_000, 2_000, 32_768, 1_000)));
    QueryEvent bigQuery = Events.query("big");
    bigQuery.setQuery("q".repeat(1_900));
    LlmFeedbackEvent bigLlm = Events.llm("big");
    bigLlm.setAnswer("a".repeat(2_500));

    send(TOPICS.queries(), "big", bigQuery);
    send(TOPICS.retrievals(), "big", Events.retrieval("big"));
    send(TOPICS.llmFeedback(), "big", bigLlm);
    send(TOPICS.humanFeedback(), "big", Events.human("big"));
    raw(TOPICS.queries()).pipeInput(null, AvroCodec.of(QueryEvent.class).encode(Events.query("keyless")));
    sendAll("next");
    driver.advanceWallClockTime(Duration.ofSeconds(41));

    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).extracting(DeadLetter::getReason).containsExactly(DeadLetterReason.OVERSIZED, DeadLetterReason.KEY_MISMATCH);
    assertThat(letters.get(0).getDetail()).contains("over maxRecordBytes 4000");
    assertThat(letters.get(1).getDetail()).contains("no key");
    assertThat(episodes.readValuesToList()).extracting(FeedbackEpisode::getRequestId)
        .as("the big request closes with what fit; the next request is assembled as usual").containsExactly("next", "big");
  }
}

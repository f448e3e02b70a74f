package dev.attune.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.schemas.AnswerEvent;
import dev.attune.schemas.HumanFeedbackEvent;
import dev.attune.schemas.LlmFeedbackEvent;
import dev.attune.schemas.SignalKind;
import dev.attune.schemas.Topics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The service is the one author of a request's events: feedback is built, validated whole and
 * published there (over Kafka's MockProducer, which acknowledges at once), so a bad part publishes
 * nothing and the HTTP layer only maps JSON.
 */
class RetrievalServiceTest {
  private static final Topics TOPICS = Topics.defaults();
  private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  private final RetrievalService service = MockPublishing.service(producer, TOPICS);

  private static RetrievalService.LlmFeedback llm(Map<String, Double> scores) {
    return new RetrievalService.LlmFeedback("llm-a", SignalKind.ANSWER_LOG_LIKELIHOOD, scores, "Denver Broncos", null, false);
  }

  @Test
  void feedback_publishes_both_parts_keyed_by_the_request() {
    RetrievalService.FeedbackEvents ids = service.feedback("r1", llm(Map.of("p1", -0.5, "p2", -2.0)),
        new RetrievalService.HumanFeedback(List.of("p1"), List.of("Denver Broncos")));

    assertThat(producer.history()).extracting(r -> r.topic() + "/" + r.key())
        .containsExactly(TOPICS.llmFeedback().name() + "/r1", TOPICS.humanFeedback().name() + "/r1");
    LlmFeedbackEvent llm = TOPICS.llmFeedback().codec().decode(producer.history().get(0).value());
    HumanFeedbackEvent human = TOPICS.humanFeedback().codec().decode(producer.history().get(1).value());
    assertThat(llm.getEventId()).isEqualTo(ids.llmEventId());
    assertThat(llm.getRequestId()).isEqualTo("r1");
    assertThat(llm.getPassageScores()).extracting(s -> s.getPassageId() + "=" + s.getScore()).containsExactlyInAnyOrder("p1=-0.5", "p2=-2.0");
    assertThat(human.getEventId()).isEqualTo(ids.humanEventId());
    assertThat(human.getRelevantPassageIds()).containsExactly("p1");
  }

  @Test
  void an_answer_alone_goes_to_the_answers_topic_for_the_scoring_stage() {
    RetrievalService.FeedbackEvents ids = service.feedback("r1", null, null, new RetrievalService.Answer("Denver Broncos", "app-llm"));

    assertThat(producer.history()).extracting(r -> r.topic() + "/" + r.key()).containsExactly(TOPICS.answers().name() + "/r1");
    AnswerEvent answer = TOPICS.answers().codec().decode(producer.history().get(0).value());
    assertThat(answer.getEventId()).isEqualTo(ids.answerEventId());
    assertThat(answer.getAnswer()).isEqualTo("Denver Broncos");
    assertThat(answer.getLlmId()).isEqualTo("app-llm");
    assertThat(ids.llmEventId()).isNull();
    assertThatThrownBy(() -> service.feedback("r1", null, null, new RetrievalService.Answer(" ", null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("answer: ").hasMessageContaining("answer is blank");
  }

  @Test
  void a_bad_part_publishes_nothing_and_names_the_part() {
    Map<String, Double> scores = new LinkedHashMap<>();
    scores.put("p1", null);

    assertThatThrownBy(() -> service.feedback("r1", llm(scores), new RetrievalService.HumanFeedback(List.of("p1"), List.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("llm feedback: ");
    assertThatThrownBy(() -> service.feedback("r1", null, new RetrievalService.HumanFeedback(List.of(" "), List.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("human feedback: ");
    assertThatThrownBy(() -> service.feedback("r1", null, null)).hasMessage("give llm or human feedback, or an answer");
    assertThatThrownBy(() -> service.feedback(" ", llm(Map.of("p1", 1.0)), null)).hasMessage("requestId is empty");
    assertThat(producer.history()).isEmpty();
  }
}

package dev.attune.streams.mining.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.attune.schemas.TeacherCandidate;
import dev.attune.schemas.TeacherDistribution;
import org.junit.jupiter.api.Test;

class TeacherAccumulatorTest {

  static TeacherObservation observation(String requestId, String query, String[] ids, double[] scores) {
    TeacherObservation o = new TeacherObservation();
    o.key = TeacherObservation.key("qa", query, "llm-a", "ANSWER_LOG_LIKELIHOOD");
    o.requestId = requestId;
    o.task = "qa";
    o.query = query;
    o.llmId = "llm-a";
    o.signalKind = "ANSWER_LOG_LIKELIHOOD";
    for (int i = 0; i < ids.length; i++) {
      o.passageIds.add(ids[i]);
      o.scores.add(scores[i]);
    }
    return o;
  }

  static CorpusUpdate passage(String id) {
    return new CorpusUpdate(id, false, "T", "text " + id);
  }

  @Test
  void key_repeated_queries_together_but_never_mix_llms() {
    assertThat(TeacherObservation.key("qa", "Who wrote  Hamlet ", "a", "K")).isEqualTo(TeacherObservation.key("qa", "who wrote hamlet", "a", "K"));
    assertThat(TeacherObservation.key("qa", "who wrote hamlet", "a", "K")).isNotEqualTo(TeacherObservation.key("qa", "who wrote hamlet", "b", "K"));
  }

  @Test
  void average_per_passage_over_requests_and_normalise_with_temperature() {
    TeacherObservation first = observation("r1", "who wrote hamlet", new String[] {"p1", "p2"}, new double[] {-1, -3});
    TeacherAccumulator acc = TeacherAccumulator.start(first, 100);
    acc.add(first);
    acc.add(observation("r2", "Who wrote Hamlet", new String[] {"p1"}, new double[] {-3}));
    acc.add(first);

    TeacherDistribution d = acc.close(200).toRecord(1.0, TeacherAccumulatorTest::passage);

    assertThat(d.getEpisodes()).isEqualTo(2);
    assertThat(d.getRequestIds()).containsExactly("r1", "r2");
    assertThat(d.getCandidates()).extracting(TeacherCandidate::getPassageId).containsExactly("p1", "p2");
    TeacherCandidate p1 = d.getCandidates().get(0);
    assertThat(p1.getMeanScore()).isEqualTo(-2.0);
    assertThat(p1.getObservations()).isEqualTo(2);
    // softmax(-2, -3) = 1 / (1 + e^-1)
    assertThat(p1.getProbability()).isCloseTo(1 / (1 + Math.exp(-1)), within(1e-12));
    assertThat(d.getCandidates().get(1).getProbability()).isCloseTo(1 - 1 / (1 + Math.exp(-1)), within(1e-12));
    assertThat(d.getWindowStartMs()).isEqualTo(100);
    assertThat(d.getWindowEndMs()).isEqualTo(200);
    assertThat(p1.getText()).as("the corpus's text at close").isEqualTo("text p1");
  }

  @Test
  void a_passage_deleted_before_the_window_closes_is_left_out_and_the_rest_renormalised() {
    TeacherObservation first = observation("r1", "who wrote hamlet", new String[] {"p1", "p2", "p3"}, new double[] {-1, -3, -2});
    TeacherAccumulator acc = TeacherAccumulator.start(first, 100);
    acc.add(first);

    TeacherDistribution d = acc.close(200).toRecord(1.0, id -> id.equals("p3") ? new CorpusUpdate(id, true, null, null) : passage(id));

    assertThat(d.getCandidates()).extracting(TeacherCandidate::getPassageId).containsExactly("p1", "p2");
    assertThat(d.getCandidates().get(0).getProbability() + d.getCandidates().get(1).getProbability()).isCloseTo(1.0, within(1e-12));
    assertThat(acc.toRecord(1.0, id -> null)).as("nothing left").isNull();
  }

  @Test
  void window_ids_differ_by_key_start_and_first_request() {
    TeacherAccumulator a = TeacherAccumulator.start(observation("r1", "q", new String[] {"p1"}, new double[] {-1}), 100);
    a.add(observation("r1", "q", new String[] {"p1"}, new double[] {-1}));
    TeacherAccumulator b = TeacherAccumulator.start(observation("r2", "q", new String[] {"p1"}, new double[] {-1}), 100);
    b.add(observation("r2", "q", new String[] {"p1"}, new double[] {-1}));

    assertThat(a.id()).isNotEqualTo(b.id()).startsWith(a.key);
  }
}

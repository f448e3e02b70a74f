package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.TrainingExample;
import dev.attune.models.task.Distillation;
import dev.attune.models.task.TaskSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingBatchTest {
  static final TaskSpec QA = new TaskSpec("qa", "Represent this query: ", Distillation.KL);

  @Test
  void slots_hold_positives_first_then_negatives_and_mask_what_is_missing() {
    TrainingExample a = TrainingFixtures.example("a", "qa", 2, 3);
    TrainingExample b = TrainingFixtures.example("b", "qa", 1, 1);

    TrainingBatch batch = TrainingBatch.of(QA, List.of(a, b), 2, 2);

    assertThat(batch.keysPerQuery()).isEqualTo(4);
    assertThat(batch.queries()).containsExactly("Represent this query: query a", "Represent this query: query b");
    assertThat(batch.keys().subList(0, 2)).containsExactlyInAnyOrder("text of a-p0", "text of a-p1");
    assertThat(batch.keys().subList(2, 4)).containsExactly("text of a-n0", "text of a-n1");
    // b has one positive and one negative: the second positive slot and the second negative slot are padding.
    assertThat(batch.keyValid()).containsExactly(1, 1, 1, 1, 1, 0, 1, 0);
    assertThat(batch.positive()).containsExactly(1, 1, 0, 0, 1, 0, 0, 0);
    assertThat(batch.teacherValid()).containsExactly(1, 1, 1, 1, 1, 0, 1, 0);
  }

  @Test
  void with_fewer_slots_than_positives_the_first_listed_train() {
    TrainingExample e = TrainingFixtures.example("a", "qa", 3, 1);

    TrainingBatch batch = TrainingBatch.of(QA, List.of(e, TrainingFixtures.example("b", "qa", 1, 1)), 2, 1);

    // The miner lists human labels first, then the LLM's picks best first.
    assertThat(batch.keys().subList(0, 3)).containsExactly("text of a-p0", "text of a-p1", "text of a-n0");
  }

  @Test
  void negatives_never_include_a_positive() {
    TrainingExample e = TrainingFixtures.example("a", "qa", 1, 2);
    e.setHardNegatives(List.of("a-p0", "a-n1"));

    TrainingBatch batch = TrainingBatch.of(QA, List.of(e, TrainingFixtures.example("b", "qa", 1, 2)), 1, 2);

    // a-p0 is dropped from the negatives; a-n0 (lowest teacher score among the rest) fills the slot.
    assertThat(batch.keys().subList(0, 3)).containsExactly("text of a-p0", "text of a-n1", "text of a-n0");
  }
}

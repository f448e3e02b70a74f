package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.attune.schemas.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchPlanTest {
  static List<TrainingExample> examples() {
    List<TrainingExample> out = new ArrayList<>();
    IntStream.range(0, 11).forEach(i -> out.add(TrainingFixtures.example("qa" + i, "qa", 1, 1)));
    IntStream.range(0, 5).forEach(i -> out.add(TrainingFixtures.example("tool" + i, "tool", 1, 1)));
    return out;
  }

  @Test
  void every_batch_holds_one_task_only() {
    BatchPlan plan = BatchPlan.of(examples(), 4, 2, 7L);

    for (List<TrainingExample> batch : plan.batches()) {
      assertThat(batch.stream().map(TrainingExample::getTask).distinct()).hasSize(1);
    }
  }

  @Test
  void each_epoch_takes_every_example_exactly_once() {
    BatchPlan plan = BatchPlan.of(examples(), 4, 2, 7L);

    // qa: 11 = 4 + 7 (remainder 3 joins the last batch); tool: 5 = 5 (remainder 1 joins) → 3 batches per epoch.
    assertThat(plan.epochLength()).isEqualTo(3);
    for (int epoch = 0; epoch < 2; epoch++) {
      List<String> ids = plan.batches().subList(epoch * 3, epoch * 3 + 3).stream()
          .flatMap(List::stream).map(TrainingExample::getExampleId).toList();
      assertThat(ids).doesNotHaveDuplicates().hasSize(16);
    }
  }

  @Test
  void the_same_seed_gives_the_same_plan_and_another_seed_another() {
    assertThat(BatchPlan.of(examples(), 4, 1, 7L)).isEqualTo(BatchPlan.of(examples(), 4, 1, 7L));
    assertThat(BatchPlan.of(examples(), 4, 1, 7L)).isNotEqualTo(BatchPlan.of(examples(), 4, 1, 8L));
  }
}

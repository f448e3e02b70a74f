package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.TextTokenizer;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.TrainingExample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arrays a peer implementation gets are the trainer's own steps: its plan, slots and loss terms. */
class PeerStepsTest {
  @TempDir Path dir;

  @Test
  void one_step_per_planned_batch_with_the_trainers_slots_and_terms() throws Exception {
    List<TrainingExample> examples = new ArrayList<>();
    for (int i = 0; i < 6; i++) examples.add(TrainingFixtures.example("e" + i, "qa", 1, 2));
    TrainerConfig config = TrainerConfig.defaults().withBatch(2, 1, 2).withLengths(16, 32).withMaxSteps(1).toBuilder().distillationWeight(0.5f).build();
    Path base = ModelSpec.BGE_SMALL_EN_V15.materializeBase(dir.resolve("base"));
    try (TextTokenizer tokenizer = new TextTokenizer(base.resolve(ModelSpec.TOKENIZER_FILE), 32)) {
      List<PeerSteps.Step> steps = PeerSteps.fullRound(config, Tasks.defaults(), tokenizer, examples);

      // The step cap never cuts the first epoch: all three batches, as the trainer plans them.
      assertThat(steps).hasSize(new RetrieverTrainer(config, Tasks.defaults()).plannedSteps(examples));
      assertThat(steps).hasSize(3);
      PeerSteps.Step first = steps.get(0);
      assertThat(first.queries().size()).isEqualTo(2);
      assertThat(first.keys().size()).as("2 queries x (1 positive + 2 negatives)").isEqualTo(6);
      assertThat(first.terms()).extracting(PeerSteps.Term::scale).containsExactly(1f, 0.5f);
      PeerSteps.Term contrastive = first.terms().get(0);
      assertThat(contrastive.target()).hasSize(contrastive.queries() * contrastive.terms() * contrastive.keys());
      assertThat(contrastive.keys()).isEqualTo(6);
      // The first query's target is its positive, slot 0.
      assertThat(contrastive.target()[0]).isEqualTo(1f);

      List<TrainingExample> chat = List.of(TrainingFixtures.example("c0", "chat", 1, 1), TrainingFixtures.example("c1", "chat", 1, 1));
      assertThatThrownBy(() -> PeerSteps.fullRound(config, Tasks.defaults(), tokenizer, chat)).hasMessageContaining("task chat distils by KL");
    }
  }
}

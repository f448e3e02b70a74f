package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.attune.models.task.Distillation;
import dev.attune.models.task.TaskSpec;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RetrievalLossesTest {
  static final TaskSpec QA = new TaskSpec("qa", "", Distillation.STABILISED);
  private final NDManager manager = NDManager.newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  /** A batch of one query per row of {@code positive}; every key valid unless {@code keyValid} says otherwise. */
  static TrainingBatch batch(int queries, int perQuery, float[] keyValid, float[] positive, float[] teacher, float[] teacherValid) {
    List<String> ids = java.util.stream.IntStream.range(0, queries).mapToObj(i -> "q" + i).toList();
    List<String> keys = java.util.stream.IntStream.range(0, queries * perQuery).mapToObj(i -> "k" + i).toList();
    return new TrainingBatch(QA, ids, ids, keys, keyValid, positive, teacher, teacherValid, perQuery);
  }

  private float loss(float[] sims, int queries, ListwiseTargets t, float temperature) {
    NDArray similarity = manager.create(sims, new Shape(queries, t.keys()));
    Shape cube = new Shape(t.queries(), t.terms(), t.keys());
    return RetrievalLosses.listwise(similarity, manager.create(t.target(), cube), manager.create(t.visible(), cube),
        manager.create(t.weight(), new Shape(t.queries(), t.terms())), temperature).getFloat();
  }

  @Test
  void in_batch_info_nce_matches_hand_computed_value() {
    // Two queries, one key each (its positive); each query's positive is the other's in-batch negative.
    // Sims: q0 (0.5, 0.1), q1 (0.2, 0.4); τ = 0.5 → logits q0 (1.0, 0.2), q1 (0.4, 0.8).
    // q0: -log(e^1 / (e^1 + e^0.2)) = 0.37110; q1: -log(e^0.8 / (e^0.4 + e^0.8)) = 0.51301; mean 0.44206.
    TrainingBatch b = batch(2, 1, new float[] {1, 1}, new float[] {1, 1}, new float[2], new float[2]);

    float value = loss(new float[] {0.5f, 0.1f, 0.2f, 0.4f}, 2, ListwiseTargets.contrastive(b.layout()), 0.5f);

    assertThat(value).isCloseTo(0.44206f, within(1e-4f));
  }

  @Test
  void several_positives_each_get_a_term_without_the_others_in_the_denominator() {
    // Keys (p1, p2, n), sims (0.5, 0.4, 0.1), τ = 0.5 → logits (1.0, 0.8, 0.2).
    // p1 over {p1, n}: 0.37110; p2 over {p2, n}: 0.43749; each weighs 1/2 → 0.40429.
    TrainingBatch b = batch(1, 3, new float[] {1, 1, 1}, new float[] {1, 1, 0}, new float[3], new float[3]);

    float value = loss(new float[] {0.5f, 0.4f, 0.1f}, 1, ListwiseTargets.contrastive(b.layout()), 0.5f);

    assertThat(value).isCloseTo(0.40429f, within(1e-4f));
  }

  @Test
  void padded_keys_take_no_part() {
    // Keys (p, padding): with the padding hidden the positive is alone, so the loss is 0.
    TrainingBatch b = batch(1, 2, new float[] {1, 0}, new float[] {1, 0}, new float[2], new float[2]);

    assertThat(loss(new float[] {0.1f, 0.9f}, 1, ListwiseTargets.contrastive(b.layout()), 0.5f)).isCloseTo(0f, within(1e-5f));
  }

  @Test
  void stabilised_distillation_matches_hand_computed_value() {
    // Keys (a, b, c) with teacher scores (1, 2, 0), T = 1: ranks b, a, c; weights softmax = (0.66524, 0.24473, 0.09003).
    // Sims (0.5, 0.1, 0.3), τ = 0.5 → logits (1.0, 0.2, 0.6).
    // rank 1 (b) over {a, b, c}: -log(e^0.2 / (e^1 + e^0.2 + e^0.6)) = 1.55125
    // rank 2 (a) over {a, c} (b hidden): -log(e^1 / (e^1 + e^0.6)) = 0.51302
    // rank 3 (c) alone: 0.  Loss = 0.66524·1.55125 + 0.24473·0.51302 = 1.15750.
    TrainingBatch b = batch(1, 3, new float[] {1, 1, 1}, new float[] {1, 0, 0}, new float[] {1, 2, 0}, new float[] {1, 1, 1});

    ListwiseTargets t = ListwiseTargets.stabilised(b.layout(), 1f);
    float value = loss(new float[] {0.5f, 0.1f, 0.3f}, 1, t, 0.5f);

    assertThat(value).isCloseTo(1.15750f, within(1e-4f));
    assertThat(t.weight()).containsExactly(new float[] {0.66524f, 0.24473f, 0.09003f}, within(1e-4f));
  }

  @Test
  void stabilised_distillation_hides_unscored_positives_and_skips_queries_without_scores() {
    // Query 0: keys (human positive without a score, scored x). Query 1: no scores at all.
    TrainingBatch b = batch(2, 2, new float[] {1, 1, 1, 1}, new float[] {1, 0, 1, 0}, new float[] {0, 3, 0, 0}, new float[] {0, 1, 0, 0});

    ListwiseTargets t = ListwiseTargets.stabilised(b.layout(), 1f);

    // Query 0's single term targets column 1 with column 0 hidden; in-batch keys 2 and 3 stay visible.
    assertThat(t.terms()).isEqualTo(1);
    assertThat(t.weight()).containsExactly(1f, 0f);
    assertThat(java.util.Arrays.copyOfRange(t.visible(), 0, 4)).containsExactly(0f, 1f, 1f, 1f);
    assertThat(java.util.Arrays.copyOfRange(t.target(), 0, 4)).containsExactly(0f, 1f, 0f, 0f);
  }

  @Test
  void kl_distillation_matches_hand_computed_value() {
    // Teacher (0, ln 3) at T=1 → p = (0.25, 0.75). Student sims (0.1, 0.2) at τ=0.1 → logits (1, 2),
    // q = (0.2689, 0.7311). KL = 0.25 ln(0.25/0.2689) + 0.75 ln(0.75/0.7311) = 0.00095.
    // Third candidate is invalid and must not count.
    var student = manager.create(new float[] {0.1f, 0.2f, 0.9f}, new Shape(1, 3));
    var teacher = manager.create(new float[] {0f, (float) Math.log(3), 5f}, new Shape(1, 3));
    var valid = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));

    float kl = RetrievalLosses.klDistillation(student, teacher, valid, 1f, 0.1f).getFloat();

    double expected = 0.25 * Math.log(0.25 / 0.268941) + 0.75 * Math.log(0.75 / 0.731059);
    assertThat((double) kl).isCloseTo(expected, within(1e-4));
  }

  @Test
  void kl_is_zero_when_student_matches_teacher() {
    var student = manager.create(new float[] {0.1f, 0.3f}, new Shape(1, 2));
    var teacher = manager.create(new float[] {1f, 3f}, new Shape(1, 2));
    var valid = manager.create(new float[] {1, 1}, new Shape(1, 2));

    assertThat(RetrievalLosses.klDistillation(student, teacher, valid, 1f, 0.1f).getFloat()).isCloseTo(0f, within(1e-5f));
  }
}

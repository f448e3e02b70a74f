package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.task.Distillation;
import dev.attune.models.task.TaskSpec;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The query-side loss over cached passage embeddings, against hand-computed values: every passage of
 * the index is in each query's softmax, the batch's own keys as columns and the rest as background.
 */
class QuerySideLossTest {
  static final TaskSpec QA = new TaskSpec("qa", "", Distillation.STABILISED);
  static final float TAU = 0.5f;
  /** p0..p5 as 2-d unit vectors; p4 and p5 are no example's candidates, so they are background. */
  static final IndexSnapshot INDEX = new IndexSnapshot("retriever-v0", List.of("p0", "p1", "p2", "p3", "p4", "p5"),
      new float[][] {{1, 0}, {0, 1}, {0.6f, 0.8f}, {0.8f, 0.6f}, {-1, 0}, {0, -1}});
  private final NDManager manager = NDManager.newBaseManager();

  static {
    dev.attune.schemas.AvroCodec.trust(TrainingExample.getClassSchema());
  }

  @AfterEach
  void close() {
    manager.close();
  }

  static TrainingExample example(String id, String positive, double positiveScore, String other, double otherScore) {
    return TrainingExample.newBuilder().setExampleId(id).setCreatedAtMs(0).setTask("qa").setQuery("query " + id)
        .setRetrieverVersion("retriever-v0").setPositives(List.of(positive)).setHumanLabels(List.of(positive)).setHardNegatives(List.of(other))
        .setCandidates(List.of(new TrainingPassage(positive, null, "text", 1, positiveScore), new TrainingPassage(other, null, "text", 2, otherScore)))
        .build();
  }

  static final List<TrainingExample> BATCH = List.of(example("e0", "p0", -1, "p2", -3), example("e1", "p1", -1, "p3", -2));

  private float loss(IndexedPassages side, boolean stabilised) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray q = scope.create(new float[] {1, 0, 0.28f, 0.96f}, new Shape(2, 2));
      PassageSide.Scores s = side.score(scope, null, QA, BATCH, q);
      ListwiseTargets t = stabilised ? ListwiseTargets.stabilised(s.keys(), 1f) : ListwiseTargets.contrastive(s.keys());
      Shape cube = new Shape(t.queries(), t.terms(), t.keys());
      return RetrievalLosses.listwise(s.similarity(), scope.create(t.target(), cube), scope.create(t.visible(), cube),
          scope.create(t.weight(), new Shape(t.queries(), t.terms())), TAU, s.background()).getFloat();
    }
  }

  private static IndexedPassages side(int corpusKeys) {
    return new IndexedPassages(INDEX, TrainerConfig.defaults().toBuilder().temperature(TAU).positivesPerQuery(1).corpusKeys(corpusKeys)
        .neighbourKeys(1).build());
  }

  @Test
  void contrastive_loss_puts_the_whole_index_in_the_denominator() {
    // q0 = (1, 0): logits p0..p5 / τ = (2, 0, 1.2, 1.6, -2, 0); -2 + log Σ e^x = 0.87906.
    // q1 = (0.28, 0.96): (0.56, 1.92, 1.872, 1.6, -0.56, -1.92); -1.92 + log Σ e^x = 1.11225. Mean 0.99565.
    try (IndexedPassages side = side(1000)) {
      assertThat(loss(side, false)).isCloseTo(0.99565f, within(1e-4f));
    }
  }

  @Test
  void stabilised_distillation_ranks_each_query_s_scored_candidates_against_the_index() {
    // q0: teacher p0 (-1) > p2 (-3), weights (0.88080, 0.11920); rank 2 targets p2 with p0 hidden:
    //   -1.2 + log(e^1.2 + e^0 + e^1.6 + e^-2 + e^0) → 0.91048 in all.
    // q1: p1 (-1) > p3 (-2), weights (0.73106, 0.26894); rank 2 targets p3 with p1 hidden → 1.09108. Mean 1.00078.
    try (IndexedPassages side = side(1000)) {
      assertThat(loss(side, true)).isCloseTo(1.00078f, within(1e-4f));
    }
  }

  @Test
  void background_enters_exactly_as_visible_columns_would() {
    NDArray similarity = manager.create(new float[] {0.5f, 0.1f, 0.3f, -0.2f}, new Shape(1, 4));
    ListwiseTargets explicit = new ListwiseTargets(new float[] {1, 0, 0, 0}, new float[] {1, 1, 1, 1}, new float[] {1}, 1, 1, 4);
    float all = RetrievalLosses.listwise(similarity, manager.create(explicit.target(), new Shape(1, 1, 4)),
        manager.create(explicit.visible(), new Shape(1, 1, 4)), manager.create(new float[] {1}, new Shape(1, 1)), TAU).getFloat();

    NDArray own = manager.create(new float[] {0.5f, 0.1f}, new Shape(1, 2));
    NDArray background = RetrievalLosses.logSumExp(manager.create(new float[] {0.3f, -0.2f}, new Shape(1, 2)).div(TAU));
    float split = RetrievalLosses.listwise(own, manager.create(new float[] {1, 0}, new Shape(1, 1, 2)), manager.create(new float[] {1, 1}, new Shape(1, 1, 2)),
        manager.create(new float[] {1}, new Shape(1, 1)), TAU, background).getFloat();

    assertThat(split).isCloseTo(all, within(1e-6f));
  }

  @Test
  void above_the_corpus_limit_each_query_s_nearest_passages_are_the_background() {
    try (IndexedPassages side = side(2)) {
      // Own rows 0..3; q0's nearest other row is p5 (dot 0 > -1), q1's is p4 (-0.28 > -0.96).
      assertThat(side.nearest(new float[] {1, 0, 0.28f, 0.96f}, 2, java.util.Set.of(0, 1, 2, 3))).containsExactly(5, 4);
      // Here that is the whole rest of the index, so the loss is the same as with the full denominator.
      assertThat(loss(side, false)).isCloseTo(0.99565f, within(1e-4f));
    }
  }

  @Test
  void a_positive_beyond_the_target_slots_is_hidden_never_a_negative() {
    TrainingExample two = TrainingExample.newBuilder(BATCH.get(0)).setPositives(List.of("p0", "p2")).build();
    try (NDManager scope = manager.newSubManager(); IndexedPassages side = side(1000)) {
      PassageSide.Scores s = side.score(scope, null, QA, List.of(two, BATCH.get(1)), scope.create(new float[] {1, 0, 0.28f, 0.96f}, new Shape(2, 2)));
      ListwiseTargets t = ListwiseTargets.contrastive(s.keys());

      assertThat(t.terms()).isEqualTo(1);
      // Query 0's one term targets p0 (column 0); p2 (column 1) is hidden, p1 and p3 of the other query stay visible.
      assertThat(java.util.Arrays.copyOfRange(t.visible(), 0, 4)).containsExactly(1f, 0f, 1f, 1f);
    }
  }
}

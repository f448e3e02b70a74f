package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.trainers.model.BertEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gradient-cached step gives the plain step's loss and gradients, on the real bge-small weights:
 * a full round (queries and passages cached, chunks that split the batch unevenly, passages of
 * different lengths) with the stabilised distillation on, and a query-side round (queries only).
 */
class GradientCacheTest {
  static final String[][] PASSAGES = {
      {"sb", "The Denver Broncos defeated the Carolina Panthers 24 to 10 to win Super Bowl 50 at Levi's Stadium."},
      {"apollo", "The Saturn V rocket launched the Apollo missions to the Moon between 1968 and 1972."},
      {"weather", "It rained all week in the valley."},
      {"cake", "Bake the cake for forty minutes, then let it cool on a rack before icing it with chocolate and cream."},
      {"nile", "The Nile flows north through eleven countries before it reaches the Mediterranean Sea."},
      {"piano", "A piano has eighty-eight keys."},
  };
  @TempDir static Path dir;
  static Path base;
  static List<TrainingExample> examples;
  static IndexSnapshot index;

  @BeforeAll
  static void prepare() throws Exception {
    base = ModelSpec.BGE_SMALL_EN_V15.materializeBase(dir.resolve("base"));
    examples = List.of(
        example("a", "Which team won Super Bowl 50?", "sb", "weather", "cake"),
        example("b", "What rocket flew the Apollo missions?", "apollo", "piano", "nile"),
        example("c", "Where does the Nile end?", "nile", "cake", "sb"),
        example("d", "How many keys does a piano have?", "piano", "apollo", "weather"),
        example("e", "How long should the cake bake?", "cake", "nile", "piano"));
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (String[] p : PASSAGES) {
      ids.add(p[0]);
      texts.add(p[1]);
    }
    try (OnnxEncoder encoder = new OnnxEncoder("retriever-v0", base, ModelSpec.BGE_SMALL_EN_V15, 64)) {
      index = new IndexSnapshot("retriever-v0", ids, encoder.embedBatch(texts, 64));
    }
  }

  static TrainingExample example(String id, String query, String positive, String negative, String other) {
    List<TrainingPassage> candidates = List.of(new TrainingPassage(positive, null, text(positive), 1, -0.2),
        new TrainingPassage(other, null, text(other), 2, -1.5), new TrainingPassage(negative, null, text(negative), 3, -4.0));
    return TrainingExample.newBuilder().setExampleId(id).setCreatedAtMs(0).setTask("qa").setQuery(query).setRetrieverVersion("retriever-v0")
        .setPositives(List.of(positive)).setHumanLabels(List.of(positive)).setHardNegatives(List.of(negative)).setCandidates(candidates).build();
  }

  static String text(String id) {
    for (String[] p : PASSAGES) if (p[0].equals(id)) return p[1];
    throw new IllegalArgumentException(id);
  }

  static TrainerConfig config(int chunk) {
    return TrainerConfig.defaults().withBatch(5, 1, 2).withLengths(32, 64).toBuilder().distillationWeight(0.5f).gradientChunk(chunk).build();
  }

  record Step(double loss, Map<String, float[]> gradients) {}

  static Step step(TrainerConfig config, boolean querySide) throws Exception {
    try (BertEncoder model = BertEncoder.load("retriever-v1", base, ModelSpec.BGE_SMALL_EN_V15, 64, Device.cpu());
        PassageSide passages = querySide ? new IndexedPassages(index, config) : new EncodedPassages(config);
        NDManager scope = model.manager().newSubManager()) {
      // As RetrieverTrainer runs a step: graphs are recorded only inside a gradient collector.
      JniUtils.setGradMode(false);
      QueryTuning.ALL.apply(model, model.layers(), config.seed());
      double loss = new RetrieverTrainer(config, Tasks.defaults()).lossAndGradients(scope, model, passages, Tasks.defaults().get("qa"), examples);
      Map<String, float[]> gradients = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> p : model.trainableParameters().entrySet()) {
        try (NDArray g = p.getValue().getGradient()) {
          gradients.put(p.getKey(), g.toFloatArray());
        }
      }
      return new Step(loss, gradients);
    }
  }

  @Test
  void a_full_round_step_in_uneven_chunks_has_the_plain_steps_gradients() throws Exception {
    assertSameStep(step(config(0), false), step(config(4), false));
  }

  @Test
  void a_query_side_step_in_chunks_has_the_plain_steps_gradients() throws Exception {
    assertSameStep(step(config(0), true), step(config(2), true));
  }

  private static void assertSameStep(Step plain, Step cached) {
    assertThat(plain.loss()).isFinite().isGreaterThan(0);
    assertThat(cached.loss()).isCloseTo(plain.loss(), org.assertj.core.data.Offset.offset(1e-5));
    assertThat(cached.gradients().keySet()).isEqualTo(plain.gradients().keySet()).hasSizeGreaterThan(100);
    double total = 0, difference = 0;
    for (String name : plain.gradients().keySet()) {
      float[] a = plain.gradients().get(name), b = cached.gradients().get(name);
      double norm = 0, diff = 0;
      for (int i = 0; i < a.length; i++) {
        norm += (double) a[i] * a[i];
        diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
      }
      total += norm;
      difference += diff;
      // Float sums in another order: equal to a part in a thousand per parameter, far from a wrong gradient.
      assertThat(Math.sqrt(diff)).as(name).isLessThanOrEqualTo(1e-3 * Math.sqrt(norm) + 1e-7);
    }
    assertThat(total).as("the step has gradients at all").isGreaterThan(1e-8);
    assertThat(Math.sqrt(difference / total)).isLessThan(1e-4);
  }
}

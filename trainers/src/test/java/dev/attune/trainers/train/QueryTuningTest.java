package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.models.index.IndexSnapshot;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.task.Tasks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Query-side rounds on the real bge-small weights, against an index embedded by the base under ONNX Runtime. */
class QueryTuningTest {
  static final List<String> QUERIES = List.of("Which team won Super Bowl 50?", "What rocket flew the Apollo missions?");
  @TempDir static Path dir;
  static Path base;
  static IndexSnapshot index;
  static List<TrainingExample> examples;

  @BeforeAll
  static void embedIndex() throws Exception {
    base = ModelSpec.BGE_SMALL_EN_V15.materializeBase(dir.resolve("base"));
    List<String> ids = List.of("sb", "apollo", "weather", "cake");
    List<String> texts = List.of("The Denver Broncos won Super Bowl 50.", "The Saturn V rocket launched the Apollo missions.",
        "It rained all week in the valley.", "Bake the cake for forty minutes.");
    try (OnnxEncoder encoder = new OnnxEncoder("retriever-v0", base, ModelSpec.BGE_SMALL_EN_V15, 64)) {
      index = new IndexSnapshot("retriever-v0", ids, encoder.embedBatch(texts, 64));
    }
    examples = List.of(example("a", QUERIES.get(0), "sb", "weather"), example("b", QUERIES.get(1), "apollo", "cake"));
  }

  static TrainingExample example(String id, String query, String positive, String negative) {
    return TrainingExample.newBuilder().setExampleId(id).setCreatedAtMs(0).setTask("qa").setQuery(query).setRetrieverVersion("retriever-v0")
        .setPositives(List.of(positive)).setHumanLabels(List.of(positive)).setHardNegatives(List.of(negative))
        .setCandidates(List.of(new TrainingPassage(positive, null, "-", 1, -0.5), new TrainingPassage(negative, null, "-", 2, -3.0))).build();
  }

  static TrainerConfig config(String tuning, float learningRate, int steps) {
    return TrainerConfig.defaults().withBatch(2, 1, 1).withLengths(32, 64).withMaxSteps(steps).withSchedule(steps, learningRate, 2).toBuilder()
        .queryTuning(QueryTuning.parse(tuning)).build();
  }

  @Test
  void parses_the_three_kinds_and_refuses_others() {
    assertThat(QueryTuning.parse("all")).isEqualTo(QueryTuning.ALL);
    assertThat(QueryTuning.parse("top:4")).isEqualTo(new QueryTuning(QueryTuning.Kind.TOP_LAYERS, 4));
    assertThat(QueryTuning.parse("LoRA:8").toString()).isEqualTo("lora:8");
    assertThatThrownBy(() -> QueryTuning.parse("top:")).hasMessageContaining("all, top:N or lora:R, not 'top:'");
    assertThatThrownBy(() -> QueryTuning.parse("lora:0")).hasMessageContaining("size >= 1");
  }

  @Test
  void top_layers_train_only_the_top_layers() throws Exception {
    try (BertEncoder model = BertEncoder.load("retriever-v1", base, ModelSpec.BGE_SMALL_EN_V15, 64, Device.cpu())) {
      Map<String, float[]> before = snapshot(model);
      new RetrieverTrainer(config("top:2", 5e-4f, 2), Tasks.defaults())
          .trainQuerySide(model, examples, index, null, RetrieverTrainer.StepListener.NONE, Progress.silent());

      List<String> moved = new ArrayList<>();
      model.parameters().forEach((name, p) -> {
        if (!java.util.Arrays.equals(before.get(name), p.toFloatArray())) moved.add(name);
      });
      assertThat(moved).isNotEmpty().allMatch(n -> n.startsWith("encoder.layer.10.") || n.startsWith("encoder.layer.11."));
      assertThat(moved).anyMatch(n -> n.startsWith("encoder.layer.10."));
    }
  }

  @Test
  void lora_adapters_are_merged_into_the_saved_graph_and_resume_from_a_checkpoint() throws Exception {
    Path unbroken = dir.resolve("unbroken");
    trainLora(null, unbroken, RetrieverTrainer.StepListener.NONE);
    try (OnnxEncoder served = new OnnxEncoder("v1", unbroken, ModelSpec.BGE_SMALL_EN_V15, 64);
        OnnxEncoder original = new OnnxEncoder("v0", base, ModelSpec.BGE_SMALL_EN_V15, 64)) {
      float[][] tuned = served.embedBatch(QUERIES, 64);
      float[][] was = original.embedBatch(QUERIES, 64);
      assertThat(Encoder.cosine(tuned[0], was[0])).as("the adapters moved the query encoder").isLessThan(0.999999);

      // Killed after the checkpoint at batch 2, then rerun: the saved graph equals the unbroken run's.
      TrainingCheckpoint checkpoint = new TrainingCheckpoint(dir.resolve("checkpoint"));
      assertThatThrownBy(() -> trainLora(checkpoint, dir.resolve("killed"), (batch, ids, loss) -> {
        if (batch == 2) throw new IllegalStateException("injected kill at batch 2");
      })).hasMessageContaining("injected kill");
      List<Integer> resumed = new ArrayList<>();
      trainLora(checkpoint, dir.resolve("resumed"), (batch, ids, loss) -> resumed.add(batch));
      assertThat(resumed).containsExactly(2, 3);
      try (OnnxEncoder again = new OnnxEncoder("v1", dir.resolve("resumed"), ModelSpec.BGE_SMALL_EN_V15, 64)) {
        float[][] after = again.embedBatch(QUERIES, 64);
        for (int i = 0; i < QUERIES.size(); i++) assertThat(Encoder.cosine(after[i], tuned[i])).isGreaterThan(0.99999);
      }
    }
  }

  private static void trainLora(TrainingCheckpoint checkpoint, Path target, RetrieverTrainer.StepListener listener) throws Exception {
    try (BertEncoder model = BertEncoder.load("retriever-v1", base, ModelSpec.BGE_SMALL_EN_V15, 64, Device.cpu())) {
      RetrieverTrainer.Result result = new RetrieverTrainer(config("lora:4", 1e-2f, 4), Tasks.defaults())
          .trainQuerySide(model, examples, index, checkpoint, listener, Progress.silent());
      assertThat(result.steps()).isEqualTo(4);
      assertThat(model.trainableParameters()).isEmpty();
      model.save(base, target);
      float[][] djl = model.embedBatch(QUERIES, 64);
      try (OnnxEncoder served = new OnnxEncoder("v1", target, ModelSpec.BGE_SMALL_EN_V15, 64)) {
        float[][] onnx = served.embedBatch(QUERIES, 64);
        for (int i = 0; i < QUERIES.size(); i++) assertThat(Encoder.cosine(onnx[i], djl[i])).as("query %d", i).isGreaterThan(0.9999);
      }
    }
  }

  private static Map<String, float[]> snapshot(BertEncoder model) {
    Map<String, float[]> out = new java.util.HashMap<>();
    model.parameters().forEach((name, p) -> out.put(name, p.toFloatArray()));
    return out;
  }
}

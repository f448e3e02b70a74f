package dev.attune.trainers.model;

import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.OnnxGraph;
import dev.attune.models.encoder.Progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.attune.schemas.TrainingExample;
import dev.attune.schemas.TrainingPassage;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DJL BERT reproduces ONNX Runtime on the real pretrained weights, before and after fine-tuning. */
class PretrainedEncoderTest {
  static final List<String> TEXTS =
      List.of(
          "Which NFL team represented the AFC at Super Bowl 50?",
          "Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL) for the 2015 season.",
          "short");

  @TempDir static Path dir;
  static Path base;
  static OnnxEncoder onnx;
  static BertEncoder djl;

  @BeforeAll
  static void load() throws Exception {
    base = ModelSpec.BGE_SMALL_EN_V15.materializeBase(dir.resolve("base"));
    onnx = new OnnxEncoder("retriever-v0", base, ModelSpec.BGE_SMALL_EN_V15, 512);
    djl = BertEncoder.load("retriever-v0", base, ModelSpec.BGE_SMALL_EN_V15, 512, Device.cpu());
  }

  @AfterAll
  static void close() {
    onnx.close();
    djl.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"bge-small-en-v1.5", "all-minilm-l6-v2"})
  void djl_bert_matches_onnx_runtime_on_a_padded_batch(String model) throws Exception {
    ModelSpec spec = ModelSpec.named(model);
    Path modelDir = spec.materializeBase(dir.resolve(model));
    try (OnnxEncoder reference = new OnnxEncoder(model, modelDir, spec, 256);
        BertEncoder bert = BertEncoder.load(model, modelDir, spec, 256, Device.cpu())) {
      float[][] expected = reference.embedBatch(TEXTS, 256);
      float[][] actual = bert.embedBatch(TEXTS, 256);

      for (int i = 0; i < TEXTS.size(); i++) {
        assertThat(Encoder.cosine(expected[i], actual[i])).as("text %d", i).isGreaterThan(0.999);
        // Padding is masked out: a text embeds the same alone as beside longer ones.
        assertThat(actual[i]).as("text %d alone", i).containsExactly(bert.embedBatch(List.of(TEXTS.get(i)), 256)[0], within(1e-5f));
      }
      assertThat(Encoder.cosine(expected[0], expected[1])).isLessThan(0.99);
    }
  }

  @Test
  void fine_tuned_weights_written_back_into_the_graph_match_the_djl_model() throws Exception {
    Path tuned = dir.resolve("tuned");
    try (BertEncoder model = BertEncoder.load("retriever-v1", base, ModelSpec.BGE_SMALL_EN_V15, 128, Device.cpu())) {
      TrainerConfig config = TrainerConfig.defaults().withBatch(2, 1, 1).withLengths(32, 64).withMaxSteps(3).withSchedule(3, 5e-4f, 0);
      RetrieverTrainer.Result result = new RetrieverTrainer(config, Tasks.defaults())
          .train(model, List.of(example("a", "Super Bowl 50", "Denver Broncos"), example("b", "Apollo program", "Saturn V")),
              null, RetrieverTrainer.StepListener.NONE, Progress.silent());
      assertThat(result.steps()).isEqualTo(3);
      model.save(base, tuned);
      assertThat(ModelSpec.of(tuned, ModelSpec.ALL_MINILM_L6_V2)).as("the written model records its spec").isEqualTo(ModelSpec.BGE_SMALL_EN_V15);

      try (OnnxEncoder served = new OnnxEncoder("retriever-v1", tuned, ModelSpec.BGE_SMALL_EN_V15, 128)) {
        float[][] fromOnnx = served.embedBatch(TEXTS, 128);
        float[][] fromDjl = model.embedBatch(TEXTS, 128);
        float[][] before = onnx.embedBatch(TEXTS, 128);
        double changed = 1;
        for (int i = 0; i < TEXTS.size(); i++) {
          assertThat(Encoder.cosine(fromOnnx[i], fromDjl[i])).as("text %d", i).isGreaterThan(0.999);
          changed = Math.min(changed, Encoder.cosine(fromOnnx[i], before[i]));
        }
        // The weights really moved, so the match above is not the base model matching itself.
        assertThat(changed).isLessThan(0.9999);
      }
    }
    assertThat(Files.size(tuned.resolve(ModelSpec.ONNX_FILE))).isEqualTo(Files.size(base.resolve(ModelSpec.ONNX_FILE)));
  }

  @Test
  void onnx_initializers_get_hugging_face_names() throws Exception {
    Map<String, OnnxGraph.Tensor> tensors = OnnxGraph.readInitializers(Files.readAllBytes(base.resolve(ModelSpec.ONNX_FILE)));

    assertThat(tensors.get("encoder.layer.11.output.dense.weight").shape()).containsExactly(1536, 384);
    assertThat(tensors.keySet().stream().filter(n -> n.startsWith("onnx::"))).isEmpty();
  }

  private static TrainingExample example(String id, String topic, String answer) {
    List<TrainingPassage> candidates = List.of(
        new TrainingPassage(id + "-pos", topic, topic + " is where " + answer + " appears.", 1, -0.5),
        new TrainingPassage(id + "-neg", "Weather", "It rained all week in the valley.", 2, -3.0));
    return TrainingExample.newBuilder().setExampleId(id).setCreatedAtMs(0).setTask("qa").setQuery("What about " + topic + "?")
        .setRetrieverVersion("retriever-v0").setPositives(List.of(id + "-pos")).setHardNegatives(List.of(id + "-neg"))
        .setCandidates(candidates).build();
  }
}

package dev.attune.trainers.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL BERT reproduces ONNX Runtime on the real pretrained bge-small-en-v1.5 weights. */
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

  @Test
  void djl_bert_matches_onnx_runtime_on_a_padded_batch() {
    float[][] expected = onnx.embedBatch(TEXTS, 512);
    float[][] actual = djl.embedBatch(TEXTS, 512);

    for (int i = 0; i < TEXTS.size(); i++) {
      assertThat(Encoder.cosine(expected[i], actual[i])).as("text %d", i).isGreaterThan(0.999);
    }
    assertThat(Encoder.cosine(expected[0], expected[1])).isLessThan(0.99);
  }

  @Test
  void weights_written_back_into_the_graph_run_under_onnx_runtime() throws Exception {
    Path copy = dir.resolve("copy");
    djl.save(base, copy);
    try (OnnxEncoder reloaded = new OnnxEncoder("retriever-v1", copy, ModelSpec.BGE_SMALL_EN_V15, 512)) {
      float[][] a = reloaded.embedBatch(TEXTS, 512);
      float[][] b = onnx.embedBatch(TEXTS, 512);
      for (int i = 0; i < TEXTS.size(); i++) assertThat(Encoder.cosine(a[i], b[i])).isGreaterThan(0.9999);
    }
    assertThat(Files.size(copy.resolve(ModelSpec.ONNX_FILE))).isEqualTo(Files.size(base.resolve(ModelSpec.ONNX_FILE)));
  }

  @Test
  void onnx_initializers_get_hugging_face_names() throws Exception {
    Map<String, OnnxGraph.Tensor> tensors = OnnxGraph.readInitializers(Files.readAllBytes(base.resolve(ModelSpec.ONNX_FILE)));

    assertThat(tensors.get("encoder.layer.11.output.dense.weight").shape()).containsExactly(1536, 384);
    assertThat(tensors.keySet().stream().filter(n -> n.startsWith("onnx::"))).isEmpty();
  }
}

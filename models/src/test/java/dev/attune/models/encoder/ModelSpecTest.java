package dev.attune.models.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model directories record their spec; a config describes any BERT-family checkpoint in the same ONNX form. */
class ModelSpecTest {
  @TempDir Path dir;

  @Test
  void a_materialised_base_records_its_spec() {
    Path base = ModelSpec.ALL_MINILM_L6_V2.materializeBase(dir.resolve("minilm"));

    assertThat(base.resolve(ModelSpec.CONFIG_FILE)).exists();
    assertThat(ModelSpec.of(base, ModelSpec.BGE_SMALL_EN_V15)).isEqualTo(ModelSpec.ALL_MINILM_L6_V2);
    assertThat(ModelSpec.of(dir, ModelSpec.BGE_SMALL_EN_V15)).as("a directory without a record").isEqualTo(ModelSpec.BGE_SMALL_EN_V15);
  }

  @Test
  void a_checkpoint_directory_is_a_base_described_by_its_config() throws Exception {
    // Any BERT-family export described by a config: here MiniLM's files under another name.
    Path checkpoint = ModelSpec.ALL_MINILM_L6_V2.materializeBase(dir.resolve("checkpoint"));
    Files.writeString(checkpoint.resolve(ModelSpec.CONFIG_FILE), "name=my-minilm\nhidden=384\nlayers=6\nheads=12\npooling=mean\n");

    ModelSpec spec = ModelSpec.resolve(checkpoint.toString());
    Path copy = spec.materializeBase(dir.resolve("models/retriever-v0"));

    assertThat(spec.name()).isEqualTo("my-minilm");
    assertThat(spec.pooling()).isEqualTo(ModelSpec.Pooling.MEAN);
    assertThat(spec.layers()).isEqualTo(6);
    assertThat(Files.mismatch(copy.resolve(ModelSpec.ONNX_FILE), checkpoint.resolve(ModelSpec.ONNX_FILE))).isEqualTo(-1L);
    try (OnnxEncoder described = new OnnxEncoder("v0", copy, spec, 64);
        OnnxEncoder bundled = new OnnxEncoder("v0", checkpoint, ModelSpec.ALL_MINILM_L6_V2, 64)) {
      float[] a = described.embedBatch(java.util.List.of("Which team won Super Bowl 50?"), 64)[0];
      float[] b = bundled.embedBatch(java.util.List.of("Which team won Super Bowl 50?"), 64)[0];
      assertThat(Encoder.cosine(a, b)).isGreaterThan(0.9999);
    }
  }

  @Test
  void a_bad_name_or_incomplete_directory_says_what_is_needed() throws Exception {
    assertThatThrownBy(() -> ModelSpec.resolve("bert-huge")).hasMessageContaining("or a directory with model.onnx");
    Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> ModelSpec.resolve(dir.resolve("empty").toString())).hasMessageContaining("has no model.onnx");
    Path broken = ModelSpec.ALL_MINILM_L6_V2.materializeBase(dir.resolve("broken"));
    Files.writeString(broken.resolve(ModelSpec.CONFIG_FILE), "name=x\nhidden=384\n");
    assertThatThrownBy(() -> ModelSpec.resolve(broken.toString())).hasMessageContaining("missing layers");
  }
}

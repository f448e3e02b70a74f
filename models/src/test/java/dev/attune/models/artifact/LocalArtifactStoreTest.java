package dev.attune.models.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default store: the directory is the artifact; its manifest is written on publish and checked on every fetch. */
class LocalArtifactStoreTest {
  @TempDir Path dir;
  private final LocalArtifactStore store = new LocalArtifactStore();

  @Test
  void a_published_directory_is_fetched_where_it_is_and_checked() throws Exception {
    Path model = Files.createDirectories(dir.resolve("retriever-v2").resolve("encoder"));
    Files.writeString(model.getParent().resolve("model.onnx"), "weights");
    Files.writeString(model.resolve("tokenizer.json"), "{}");

    URI uri = store.publish("retriever-v2", model.getParent());

    assertThat(uri).isEqualTo(model.getParent().toUri());
    assertThat(Files.readString(model.getParent().resolve(Manifest.FILE))).contains("  7  model.onnx", "  2  encoder/tokenizer.json");
    assertThat(store.fetch(uri)).isEqualTo(model.getParent());

    Files.writeString(model.getParent().resolve("model.onnx"), "WEIGHTS");
    assertThatThrownBy(() -> store.fetch(uri)).hasMessageContaining("model.onnx has SHA-256");
    Files.writeString(model.getParent().resolve("model.onnx"), "weights");
    Files.delete(model.resolve("tokenizer.json"));
    assertThatThrownBy(() -> store.fetch(uri)).hasMessageContaining("lacks encoder/tokenizer.json");
  }

  @Test
  void a_manifest_cannot_name_a_file_outside_its_artifact() {
    String hash = "0".repeat(64);
    assertThatThrownBy(() -> Manifest.parse(hash + "  3  ../../etc/passwd\n", "m")).hasMessageContaining("outside the artifact");
    assertThatThrownBy(() -> Manifest.parse(hash + "  3  /etc/passwd\n", "m")).hasMessageContaining("outside the artifact");
    assertThatThrownBy(() -> Manifest.parse("not a manifest\n", "m")).hasMessageContaining("is not an artifact manifest");
  }

  @Test
  void an_object_store_uri_needs_that_store() {
    assertThatThrownBy(() -> store.fetch(URI.create("s3://bucket/retriever-v3/"))).hasMessageContaining("configure the store it was published to");
  }
}

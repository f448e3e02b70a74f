package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCheckpointTest {
  @TempDir Path dir;

  @Test
  void restores_weights_moments_and_position_of_the_latest_save() throws Exception {
    try (NDManager manager = NDManager.newBaseManager(); AdamW adam = new AdamW(manager, 0.1f, 0f, 0, 10)) {
      Map<String, NDArray> weights = new LinkedHashMap<>();
      weights.put("w", manager.create(new float[] {1f, 2f}));
      adam.beginStep();
      try (NDManager scope = manager.newSubManager()) {
        adam.update("w", weights.get("w"), manager.create(new float[] {0.5f, -0.5f}), scope);
      }
      TrainingCheckpoint checkpoint = new TrainingCheckpoint(dir.resolve("ckpt"));
      checkpoint.save(new TrainingCheckpoint.Position(2, 2, 1, 1.5, 1.2, "f1"), weights, adam);
      weights.get("w").set(java.nio.FloatBuffer.wrap(new float[] {7f, 8f}));
      checkpoint.save(new TrainingCheckpoint.Position(4, 4, 1, 1.5, 1.1, "f1"), weights, adam);

      TrainingCheckpoint.Saved saved = checkpoint.loadFor("f1").orElseThrow();

      assertThat(saved.position()).isEqualTo(new TrainingCheckpoint.Position(4, 4, 1, 1.5, 1.1, "f1"));
      assertThat(saved.weights().get("w")).containsExactly(7f, 8f);
      assertThat(saved.mean().get("w")).containsExactly(adam.mean().get("w").toFloatArray());
      assertThat(saved.variance().get("w")).containsExactly(adam.variance().get("w").toFloatArray());
      try (var files = Files.list(dir.resolve("ckpt"))) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("LATEST", "step-4");
      }
      assertThatThrownBy(() -> checkpoint.loadFor("f2")).as("taken on other examples")
          .hasMessageContaining("fingerprint f1, this run f2");
    }
  }

  @Test
  void an_empty_directory_has_no_checkpoint_and_a_corrupt_one_says_what_to_do() throws Exception {
    TrainingCheckpoint checkpoint = new TrainingCheckpoint(dir.resolve("ckpt"));
    assertThat(checkpoint.load()).isEmpty();

    Files.createDirectories(dir.resolve("ckpt/step-2"));
    Files.writeString(dir.resolve("ckpt/LATEST"), "step-2");

    assertThatThrownBy(checkpoint::load).hasMessageContaining("delete the directory to start the run over");
  }
}

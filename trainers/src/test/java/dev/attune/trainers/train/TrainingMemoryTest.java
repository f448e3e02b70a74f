package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.trainers.model.BertEncoder;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

class TrainingMemoryTest {
  private static final ModelSpec BGE = ModelSpec.BGE_SMALL_EN_V15;
  private static final long PARAMETERS = 33_360_000;

  @Test
  void a_text_costs_more_than_linearly_in_its_length_for_the_attention_scores() {
    long at128 = TrainingMemory.bytesPerText(BGE, 128);
    long at256 = TrainingMemory.bytesPerText(BGE, 256);
    assertThat(at256).isGreaterThan(2 * at128);
    // 12 layers x (128 tokens x (8 x 384 + 2 x 1536) + 12 heads x 128^2) floats, about 45 MiB.
    assertThat(at128).isBetween(44L << 20, 47L << 20);
  }

  @Test
  void the_batch_fills_the_planned_share_of_free_memory_and_no_more() {
    TrainerConfig config = TrainerConfig.defaults().withBatch(2, 1, 1).withLengths(128, 128);
    long free = 100L << 30;
    int queries = TrainingMemory.queriesThatFit(free, BGE, PARAMETERS, config);
    long perQuery = 3 * TrainingMemory.bytesPerText(BGE, 128);
    long planned = (long) (free * TrainingMemory.PLANNED_SHARE) - TrainingMemory.optimiserBytes(PARAMETERS);
    assertThat(queries * perQuery).isLessThanOrEqualTo(planned);
    assertThat((queries + 1) * perQuery).isGreaterThan(planned);
    assertThat(TrainingMemory.queriesThatFit(2 * free, BGE, PARAMETERS, config)).isGreaterThan(queries);
  }

  @Test
  void on_the_cpu_a_batch_by_memory_stays_the_configured_batch(@TempDir Path dir) throws Exception {
    Path base = BGE.materializeBase(dir.resolve("base"));
    TrainerConfig config = TrainerConfig.defaults().toBuilder().batchQueries(12).batchByMemory(true).build();
    try (BertEncoder model = BertEncoder.load("cpu", base, BGE, 32, Device.cpu())) {
      assertThat(TrainingMemory.sized(config, model)).isEqualTo(config);
    }
  }

  @Test
  void too_little_memory_for_two_queries_is_said_as_zero() {
    TrainerConfig config = TrainerConfig.defaults().withBatch(2, 1, 1).withLengths(128, 128);
    assertThat(TrainingMemory.queriesThatFit(512L << 20, BGE, PARAMETERS, config)).isZero();
  }
}

package dev.attune.infra.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import dev.attune.infra.data.BeirDataset;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.Progress;
import dev.attune.models.task.Tasks;
import dev.attune.schemas.TrainingExample;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.trainers.train.PeerSteps;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's PyTorch peer computes Attune's step: from the same weights and batches its losses
 * over three steps equal the Java trainer's, the later two after its clipped AdamW updates (with
 * warm-up and weight decay), stabilised distillation on. Runs only where a python3 with torch is installed (not in CI); elsewhere it is skipped
 * and says why.
 */
class PytorchPeerIT {
  @TempDir Path dir;

  @Test
  void the_peer_trains_to_the_same_losses_as_the_java_trainer() throws Exception {
    StringBuilder why = new StringBuilder();
    Optional<String> python = PytorchPeer.findPython(List.of("python3", "/usr/bin/python3"), why);
    assumeTrue(python.isPresent(), "no python with torch: " + why);

    ModelSpec spec = ModelSpec.BGE_SMALL_EN_V15;
    Path base = spec.materializeBase(dir.resolve("base"));
    List<TrainingExample> examples = BenchExamples.examples(BeirDataset.bundled(), 12, 2);
    TrainerConfig config = TrainerConfig.defaults().withBatch(4, 1, 2).withLengths(24, 48).withMaxSteps(3).withSchedule(1, 1e-4f, 0)
        .toBuilder().distillationWeight(0.5f).build();
    List<Double> losses = new ArrayList<>();
    Map<String, float[]> weights = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    List<PeerSteps.Step> steps;
    try (BertEncoder model = BertEncoder.load("peer", base, spec, 48, Device.cpu())) {
      model.parameters().forEach((name, p) -> {
        weights.put(name, p.toFloatArray());
        shapes.put(name, p.getShape().getShape());
      });
      steps = PeerSteps.fullRound(config, Tasks.defaults(), model.tokenizer(), examples);
      new RetrieverTrainer(config, Tasks.defaults()).train(model, examples, null, (b, ids, loss) -> losses.add(loss), Progress.silent());
    }
    assertThat(steps).hasSize(3).allSatisfy(s -> assertThat(s.terms()).hasSize(2));

    PytorchPeer.Result peer = PytorchPeer.run(python.get(), dir.resolve("peer"), spec, config, Device.cpu(), weights, shapes, steps, 2,
        new PrintStream(PrintStream.nullOutputStream()));

    assertThat(peer.losses()).hasSize(3);
    for (int i = 0; i < 3; i++) assertThat(peer.losses().get(i)).as("step %d", i).isCloseTo(losses.get(i), org.assertj.core.data.Offset.offset(2e-3));
    assertThat(peer.peakRssMb()).isPositive();
    assertThat(peer.device()).isEqualTo("cpu");
    assertThat(peer.deviceMb()).isEqualTo(-1);
  }
}

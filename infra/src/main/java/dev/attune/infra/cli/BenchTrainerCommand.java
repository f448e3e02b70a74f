package dev.attune.infra.cli;

import dev.attune.infra.bench.PeakMemory;
import dev.attune.trainers.model.NativeHeap;
import java.util.Locale;
import ai.djl.Device;
import dev.attune.infra.data.BeirDataset;
import dev.attune.infra.bench.BenchExamples;
import dev.attune.schemas.TrainingExample;
import dev.attune.serving.Corpus;
import dev.attune.trainers.model.BertEncoder;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxEncoder;
import dev.attune.models.encoder.Progress;
import dev.attune.models.task.Tasks;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code attune bench-trainer}: training examples/s and peak memory of one fine-tuning run at a fixed
 * shape, then corpus re-embedding passages/s under ONNX Runtime and DJL eager with the same weights,
 * side by side in one process. Real SQuAD questions and passages; the first step and the first
 * batch of each encoder are warm-up and not counted.
 */
@Command(name = "bench-trainer", description = "Training examples/s and peak memory, and re-embedding passages/s with ONNX Runtime vs DJL eager.")
final class BenchTrainerCommand implements Callable<Integer> {
  @CommandLine.Mixin BaseModelOption baseModel;
  @Option(names = "--batch", defaultValue = "32", description = "Queries per step (default: ${DEFAULT-VALUE}).") int batch;
  @Option(names = "--length", defaultValue = "128", description = "Token length of queries and passages (default: ${DEFAULT-VALUE}).") int length;
  @Option(names = "--negatives", defaultValue = "1", description = "Negatives per query next to its positive (default: ${DEFAULT-VALUE}).") int negatives;
  @Option(names = "--steps", defaultValue = "4", description = "Timed steps after one warm-up step (default: ${DEFAULT-VALUE}).") int steps;
  @Option(names = "--passages", defaultValue = "320", description = "Passages re-embedded by each engine (default: ${DEFAULT-VALUE}).") int passages;
  @Option(names = "--embed-length", defaultValue = "256", description = "Token limit for re-embedding (default: ${DEFAULT-VALUE}).") int embedLength;

  @Override
  public Integer call() throws Exception {
    ModelSpec spec = baseModel.spec();
    Path dir = Files.createTempDirectory("attune-bench-trainer");
    Path modelDir = spec.materializeBase(dir.resolve("base"));
    BeirDataset data = BeirDataset.bundled();
    Device device = BertEncoder.defaultDevice();
    System.out.printf("bench-trainer: %s on %s, %d cores, max heap %d MB%n", spec.name(), device, Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);

    List<TrainingExample> examples = BenchExamples.examples(data, batch * (steps + 1), negatives);
    TrainerConfig config = TrainerConfig.defaults().withBatch(batch, 1, negatives).withLengths(length, length)
        .withMaxSteps(steps + 1).withSchedule(1, 2e-5f, 0);
    List<Long> stepNanos = new ArrayList<>();
    long[] last = {System.nanoTime()};
    try (BertEncoder model = BertEncoder.load("bench", modelDir, spec, length, device)) {
      new RetrieverTrainer(config, Tasks.defaults()).train(model, examples, null, (b, ids, loss) -> {
        long now = System.nanoTime();
        stepNanos.add(now - last[0]);
        last[0] = now;
        System.out.printf("  step %d: %d queries, loss %.3f, %.2fs%n", b, ids.size(), loss, (stepNanos.get(stepNanos.size() - 1)) / 1e9);
      }, Progress.silent());
    }
    double timed = stepNanos.subList(1, stepNanos.size()).stream().mapToLong(Long::longValue).sum() / 1e9;
    double examplesPerSecond = batch * (stepNanos.size() - 1) / timed;
    System.out.printf("training: %.2f examples/s (%d steps of %d queries x (1 + %d) passages, length %d, after 1 warm-up step)%n",
        examplesPerSecond, stepNanos.size() - 1, batch, negatives, length);
    System.out.printf("peak memory: process RSS %d MB (native tensors included), JVM heap %d MB%n", PeakMemory.rssMb(), PeakMemory.heapMb());
    System.out.println(NativeHeap.trim().map(t -> String.format(Locale.ROOT,
        "after training: RSS %d MB; freed native memory returned to the OS (malloc_trim): RSS %d MB", t.beforeMb(), t.afterMb()))
        .orElse("after training: this JVM cannot trim its native heap (needs OpenJDK 17.0.9+ on glibc)"));

    List<String> texts = data.corpus().passages().stream().map(Corpus.Passage::embeddingText).limit(passages).toList();
    double onnx, djl;
    try (Encoder encoder = new OnnxEncoder("bench", modelDir, spec, embedLength)) {
      onnx = passagesPerSecond(encoder, texts);
    }
    try (Encoder encoder = BertEncoder.load("bench", modelDir, spec, embedLength, device)) {
      djl = passagesPerSecond(encoder, texts);
    }
    System.out.printf("re-embedding %d passages (limit %d tokens, length-sorted batches of 32): ONNX Runtime %.1f passages/s, DJL eager %.1f passages/s (%.2fx)%n",
        texts.size(), embedLength, onnx, djl, onnx / djl);
    return 0;
  }

  private static double passagesPerSecond(Encoder encoder, List<String> texts) {
    encoder.embedBatch(texts.subList(0, Math.min(32, texts.size())), 64);
    long start = System.nanoTime();
    encoder.embed(texts, Integer.MAX_VALUE, 32, Progress.silent());
    return texts.size() / ((System.nanoTime() - start) / 1e9);
  }
}

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import ai.djl.util.cuda.CudaUtils;
import dev.attune.trainers.train.TrainingMemory;
import dev.attune.infra.bench.PytorchPeer;
import dev.attune.trainers.train.PeerSteps;
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
  @Option(names = "--batch", defaultValue = "32",
      description = "Queries per step, or auto: as many as a GPU's free memory takes (default: ${DEFAULT-VALUE}).") String batchOption;
  @Option(names = "--length", defaultValue = "128", description = "Token length of queries and passages (default: ${DEFAULT-VALUE}).") int length;
  @Option(names = "--negatives", defaultValue = "1", description = "Negatives per query next to its positive (default: ${DEFAULT-VALUE}).") int negatives;
  @Option(names = "--gradient-chunk", defaultValue = "0",
      description = "Texts per forward pass with gradient caching, 0 for none (default: ${DEFAULT-VALUE}).") int gradientChunk;
  @Option(names = "--steps", defaultValue = "4", description = "Timed steps after one warm-up step (default: ${DEFAULT-VALUE}).") int steps;
  @Option(names = "--passages", defaultValue = "320", description = "Passages re-embedded by each engine (default: ${DEFAULT-VALUE}).") int passages;
  // fallbackValue: without it picocli reads --no-peer as "the default" (true) when the default is true.
  @Option(names = "--peer", defaultValue = "true", fallbackValue = "true", negatable = true,
      description = "Also run the same steps in Python PyTorch eager when a python3 with torch is found (default: ${DEFAULT-VALUE}).") boolean peer;
  @Option(names = "--python", split = ",", defaultValue = "python3,/usr/bin/python3",
      description = "Pythons to try for the peer, first with torch wins (default: ${DEFAULT-VALUE}).") List<String> pythons;
  @Option(names = "--embed-length", defaultValue = "256", description = "Token limit for re-embedding (default: ${DEFAULT-VALUE}).") int embedLength;

  private int batch;

  @Override
  public Integer call() throws Exception {
    ModelSpec spec = baseModel.spec();
    Path dir = Files.createTempDirectory("attune-bench-trainer");
    Path modelDir = spec.materializeBase(dir.resolve("base"));
    BeirDataset data = BeirDataset.bundled();
    Device device = BertEncoder.defaultDevice();
    System.out.printf("bench-trainer: %s on %s, %d cores, max heap %d MB%n", spec.name(), device, Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);

    List<Long> stepNanos = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    Map<String, float[]> initial = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    List<PeerSteps.Step> peerSteps;
    TrainerConfig config;
    long[] last = {System.nanoTime()};
    try (BertEncoder model = BertEncoder.load("bench", modelDir, spec, length, device)) {
      config = TrainerConfig.defaults().withBatch(2, 1, negatives).withLengths(length, length)
          .withMaxSteps(steps + 1).withSchedule(1, 2e-5f, 0).toBuilder().gradientChunk(gradientChunk).build();
      batch = batchFor(device, model, config);
      config = config.toBuilder().batchQueries(batch).build();
      List<TrainingExample> examples = BenchExamples.examples(data, batch * (steps + 1), negatives);
      if (peer) {
        model.parameters().forEach((name, p) -> {
          initial.put(name, p.toFloatArray());
          shapes.put(name, p.getShape().getShape());
        });
      }
      peerSteps = peer ? PeerSteps.fullRound(config, Tasks.defaults(), model.tokenizer(), examples) : List.of();
      new RetrieverTrainer(config, Tasks.defaults()).train(model, examples, null, (b, ids, loss) -> {
        long now = System.nanoTime();
        stepNanos.add(now - last[0]);
        losses.add(loss);
        last[0] = now;
        System.out.printf("  step %d: %d queries, loss %.3f, %.2fs%n", b, ids.size(), loss, (stepNanos.get(stepNanos.size() - 1)) / 1e9);
      }, Progress.silent());
    }
    double timed = stepNanos.subList(1, stepNanos.size()).stream().mapToLong(Long::longValue).sum() / 1e9;
    double examplesPerSecond = batch * (stepNanos.size() - 1) / timed;
    long peakMb = PeakMemory.rssMb();
    System.out.printf("training: %.2f examples/s (%d steps of %d queries x (1 + %d) passages, length %d, %s, after 1 warm-up step)%n",
        examplesPerSecond, stepNanos.size() - 1, batch, negatives, length,
        gradientChunk > 0 ? "gradient-cached chunks of " + gradientChunk + " texts" : "one pass, no gradient caching");
    System.out.printf("peak memory: process RSS %d MB (native tensors included), JVM heap %d MB%n", peakMb, PeakMemory.heapMb());
    long deviceMb = deviceUsedMb(device);
    if (device.isGpu()) {
      System.out.printf("GPU memory in use after training (CUDA's count: the caching allocator keeps the step's peak): %d MB of %d MB%n",
          deviceMb, CudaUtils.getGpuMemory(device).getMax() >> 20);
    }
    NativeHeap.releaseGpuCache(device);
    System.out.println(NativeHeap.trim().map(t -> String.format(Locale.ROOT,
        "after training: RSS %d MB; freed native memory returned to the OS (malloc_trim): RSS %d MB", t.beforeMb(), t.afterMb()))
        .orElse("after training: this JVM cannot trim its native heap (needs OpenJDK 17.0.9+ on glibc)"));
    if (peer) comparePeer(dir, spec, config, device, initial, shapes, peerSteps, losses, examplesPerSecond, device.isGpu() ? deviceMb : peakMb);

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

  /** {@code --batch}: a number, or with auto on a GPU the most queries its free memory takes ({@link TrainingMemory}). */
  private int batchFor(Device device, BertEncoder model, TrainerConfig config) {
    if (!"auto".equals(batchOption)) {
      try {
        return Integer.parseInt(batchOption);
      } catch (NumberFormatException e) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--batch takes a number or auto, not '" + batchOption + "'");
      }
    }
    if (!device.isGpu()) {
      System.out.println("--batch auto: sizing needs a GPU's free memory; on " + device + " the default of 32 queries");
      return 32;
    }
    int sized = TrainingMemory.sized(config.toBuilder().batchQueries(32).batchByMemory(true).build(), model).batchQueries();
    System.out.printf("--batch auto: %d queries on %s (%d MB estimated per query: 1 + %d texts of %d tokens)%n", sized, device,
        (TrainingMemory.bytesPerText(model.spec(), length) * (2 + negatives)) >> 20, 1 + negatives, length);
    return sized;
  }

  private static long deviceUsedMb(Device device) {
    return device.isGpu() ? CudaUtils.getGpuMemory(device).getCommitted() >> 20 : -1;
  }

  private void comparePeer(Path dir, ModelSpec spec, TrainerConfig config, Device device, Map<String, float[]> initial,
      Map<String, long[]> shapes, List<PeerSteps.Step> steps, List<Double> losses, double examplesPerSecond, long memoryMb) throws Exception {
    StringBuilder why = new StringBuilder();
    Optional<String> python = PytorchPeer.findPython(pythons, why);
    if (python.isEmpty()) {
      System.out.println("PyTorch peer: not run, no python with torch (" + why + "); on Debian: apt-get install python3-torch libopenblas0-openmp");
      return;
    }
    PytorchPeer.Result r = PytorchPeer.run(python.get(), dir.resolve("peer"), spec, config, device, initial, shapes, steps,
        Runtime.getRuntime().availableProcessors(), System.out);
    double peerSeconds = r.seconds().subList(1, r.seconds().size()).stream().mapToDouble(Double::doubleValue).sum();
    double peerRate = batch * (r.seconds().size() - 1) / peerSeconds;
    double lossGap = 0;
    for (int i = 0; i < Math.min(losses.size(), r.losses().size()); i++) lossGap = Math.max(lossGap, Math.abs(losses.get(i) - r.losses().get(i)));
    long peerMemoryMb = device.isGpu() ? r.deviceMb() : r.peakRssMb();
    String memory = device.isGpu() ? "GPU memory in use after training" : "peak RSS";
    System.out.printf("PyTorch peer (%s, torch %s, %s, %d threads, same weights and batches): %.2f examples/s, %s %d MB; losses agree within %.4f over %d steps%n",
        python.get(), r.torch(), r.device(), r.threads(), peerRate, memory, peerMemoryMb, lossGap, r.losses().size());
    System.out.printf("Attune vs the peer: %.2fx its examples/s at %.2fx its %s%n", examplesPerSecond / peerRate, (double) memoryMb / peerMemoryMb, memory);
  }

  private static double passagesPerSecond(Encoder encoder, List<String> texts) {
    encoder.embedBatch(texts.subList(0, Math.min(32, texts.size())), 64);
    long start = System.nanoTime();
    encoder.embed(texts, Integer.MAX_VALUE, 32, Progress.silent());
    return texts.size() / ((System.nanoTime() - start) / 1e9);
  }
}

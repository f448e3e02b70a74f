package dev.attune.infra.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.TokenBatch;
import dev.attune.trainers.train.PeerSteps;
import dev.attune.trainers.train.RetrieverTrainer;
import dev.attune.trainers.train.TrainerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench-trainer}'s peer: the same full-round steps run by Python PyTorch eager ({@code
 * pytorch_peer.py}), from the weights the Java run starts from and the batches it trains on
 * ({@link PeerSteps}), written as safetensors. Run after the Java run, never beside it, so the two
 * do not share the cores.
 */
public final class PytorchPeer {
  private static final String SCRIPT = "pytorch_peer.py";

  /**
   * What the peer measured: seconds and loss per step, its process's peak RSS and, on a GPU, the
   * device memory in use after training (CUDA's count, as the Java side reads it; -1 on the CPU).
   */
  public record Result(String torch, String device, int threads, List<Double> seconds, List<Double> losses, long peakRssMb, long deviceMb) {}

  private PytorchPeer() {}

  /** The first of {@code candidates} that imports torch, or empty with why none did. */
  public static Optional<String> findPython(List<String> candidates, StringBuilder why) {
    for (String python : candidates) {
      try {
        Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        else if (p.exitValue() == 0) return Optional.of(python);
        why.append(python).append(": ").append(output.isEmpty() ? "exit " + p.exitValue() : output.lines().reduce((a, b) -> b).orElse("")).append("; ");
      } catch (IOException e) {
        why.append(python).append(": ").append(e.getMessage()).append("; ");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * Runs {@code steps} in {@code python} from {@code weights} (the model's initial weights, all
   * trained, as a full round trains them) under {@code config}'s schedule, on {@code device}'s kind
   * (the CPU or the GPU of the same index), with {@code threads} threads; the peer's per-step lines
   * go to {@code progress}.
   */
  public static Result run(String python, Path dir, ModelSpec spec, TrainerConfig config, Device device, Map<String, float[]> weights,
      Map<String, long[]> shapes, List<PeerSteps.Step> steps, int threads, PrintStream progress) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    SafeTensorsWriter w = new SafeTensorsWriter();
    weights.forEach((name, values) -> w.floats(name, values, shapes.get(name)));
    w.write(dir.resolve("weights.safetensors"));
    SafeTensorsWriter s = new SafeTensorsWriter();
    List<Integer> terms = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      PeerSteps.Step step = steps.get(i);
      tokens(s, i + ".queries.", step.queries());
      tokens(s, i + ".keys.", step.keys());
      for (int t = 0; t < step.terms().size(); t++) {
        PeerSteps.Term term = step.terms().get(t);
        String p = i + ".term" + t + ".";
        s.floats(p + "target", term.target(), term.queries(), term.terms(), term.keys());
        s.floats(p + "visible", term.visible(), term.queries(), term.terms(), term.keys());
        s.floats(p + "weight", term.weight(), term.queries(), term.terms());
        s.floats(p + "scale", new float[] {term.scale()});
      }
      terms.add(step.terms().size());
    }
    s.write(dir.resolve("steps.safetensors"));
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("hidden", spec.hidden());
    c.put("layers", spec.layers());
    c.put("heads", spec.heads());
    c.put("layerNormEps", spec.layerNormEps());
    c.put("pooling", spec.pooling().name());
    c.put("temperature", config.temperature());
    c.put("learningRate", config.learningRate());
    c.put("weightDecay", config.weightDecay());
    c.put("warmupSteps", Math.round(steps.size() * config.warmupShare()));
    c.put("totalSteps", steps.size());
    c.put("maxGradientNorm", RetrieverTrainer.MAX_GRADIENT_NORM);
    c.put("steps", steps.size());
    c.put("terms", terms);
    c.put("threads", threads);
    c.put("device", device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu");
    ObjectMapper json = new ObjectMapper();
    json.writeValue(dir.resolve("config.json").toFile(), c);
    Path script = dir.resolve(SCRIPT);
    try (InputStream in = PytorchPeer.class.getResourceAsStream(SCRIPT)) {
      Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Process p = new ProcessBuilder(python, script.toString(), dir.toString()).redirectError(ProcessBuilder.Redirect.PIPE).start();
    Thread echo = new Thread(() -> new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))
        .lines().forEach(progress::println), "pytorch-peer-stderr");
    echo.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    echo.join();
    String last = out.lines().reduce((a, b) -> b).orElse("");
    if (exit != 0 || !last.startsWith("{")) throw new IOException("the PyTorch peer exited " + exit + " without a result: " + out);
    JsonNode r = json.readTree(last);
    return new Result(r.get("torch").asText(), r.get("device").asText(), r.get("threads").asInt(), doubles(r.get("seconds")),
        doubles(r.get("losses")), r.get("peakRssMb").asLong(), r.get("deviceMb").asLong());
  }

  private static void tokens(SafeTensorsWriter s, String prefix, TokenBatch t) {
    s.longs(prefix + "ids", t.flat(t.ids()), t.size(), t.length());
    s.longs(prefix + "mask", t.flat(t.mask()), t.size(), t.length());
    s.longs(prefix + "types", t.flat(t.types()), t.size(), t.length());
  }

  private static List<Double> doubles(JsonNode array) {
    List<Double> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asDouble()));
    return out;
  }
}

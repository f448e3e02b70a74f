package dev.attune.trainers.bridge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.attune.models.bridge.BridgeInputs;
import dev.attune.models.bridge.DecoderLayout;
import dev.attune.models.bridge.DecoderSteps;
import dev.attune.models.bridge.GreedyDecoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The bridge model: a pointer decoder over the retrieved candidates. BGM used a T5 seq2seq that writes
 * passage ids as text; this compact pointer network does the same job on a CPU. It reads the frozen
 * retriever embeddings of the query and the N candidates and, step by step, points at a candidate
 * (repeats allowed) or at STOP.
 *
 * <pre>
 * e_i  = tanh([c_i ; q∘c_i] W_in + (q·c_i) w_sim + rank_i + b_in)            candidate i
 * g_t  = tanh(q W_q + mean(e of the prefix) W_p + step_t + b_s)                decoder state at step t
 * s_ti = v · tanh(o_i W_o + g_t W_g + copies_ti w_c + last_ti w_l)              o = e_1..e_N, STOP
 * π_t  = softmax(s_t + mask_t)                                                 rules in {@link DecoderSteps}
 * </pre>
 *
 * The state is a function of the prefix, so one forward pass scores every step of a given sequence
 * (teacher forcing, and the log-probability of a sampled sequence for REINFORCE). Serving decodes a
 * saved decoder with {@link GreedyDecoder} (plain Java, no PyTorch); {@code GreedyDecoderTest} keeps
 * the two in step.
 */
public final class PointerDecoder implements AutoCloseable {
  private final DecoderLayout shape;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();

  private PointerDecoder(DecoderLayout shape, Device device, Map<String, float[]> weights) {
    this.shape = shape;
    this.manager = NDManager.newBaseManager(device);
    shape.shapes().forEach((name, dims) -> {
      float[] values = weights.get(name);
      if (values == null || values.length != DecoderLayout.size(dims)) {
        manager.close();
        throw new IllegalArgumentException("bridge weights have no tensor of size " + DecoderLayout.size(dims) + " for " + name);
      }
      params.put(name, manager.create(values, shape(dims)));
    });
  }

  private static Shape shape(int[] dims) {
    return new Shape(java.util.Arrays.stream(dims).asLongStream().toArray());
  }

  /** A fresh decoder with Xavier-uniform matrices and zero biases, seeded. */
  public static PointerDecoder create(int dimension, BridgeConfig config, String encoder, Device device) {
    DecoderLayout shape = new DecoderLayout(dimension, config.candidates(), config.maxLength(), config.maxRepeats(), config.hidden(), encoder);
    Random random = new Random(config.seed());
    Map<String, float[]> weights = new LinkedHashMap<>();
    shape.shapes().forEach((name, dims) -> {
      float[] values = new float[DecoderLayout.size(dims)];
      if (!name.endsWith("bias")) {
        long fanIn = dims[0], fanOut = dims.length == 1 ? 1 : dims[1];
        float bound = (float) Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < values.length; i++) values[i] = (random.nextFloat() * 2 - 1) * bound;
      }
      weights.put(name, values);
    });
    return new PointerDecoder(shape, device, weights);
  }

  public static PointerDecoder load(Path dir, Device device) throws IOException {
    DecoderLayout shape = DecoderLayout.read(dir);
    return new PointerDecoder(shape, device, shape.readWeights(dir));
  }

  /** Writes weights and shape into {@code dir} (created if needed), as {@link GreedyDecoder} reads them. */
  public void save(Path dir) throws IOException {
    shape.write(dir, weights());
  }

  /** The current weights, copied off the device. */
  public Map<String, float[]> weights() {
    Map<String, float[]> weights = new LinkedHashMap<>();
    params.forEach((name, a) -> weights.put(name, a.toFloatArray()));
    return weights;
  }

  public DecoderLayout layout() {
    return shape;
  }

  public Map<String, NDArray> parameters() {
    return params;
  }

  public NDManager manager() {
    return manager;
  }

  public void setTrainable(boolean trainable) {
    params.values().forEach(p -> p.setRequiresGradient(trainable));
  }

  /** Overwrites the weights in place (checkpoint restore). */
  public void loadWeights(Map<String, float[]> weights) {
    params.forEach((name, p) -> {
      float[] values = weights.get(name);
      if (values == null || values.length != p.size()) throw new IllegalArgumentException("checkpoint has no weights of size " + p.size() + " for " + name);
      p.set(java.nio.FloatBuffer.wrap(values));
    });
  }

  /** Log-probabilities [B, T, N+1] of every option at every step; all arrays live in {@code scope}. */
  public NDArray logProbabilities(NDManager scope, BridgeInputs in, DecoderSteps steps) {
    NDArray[] qc = arrays(scope, in);
    return logProbabilities(scope, qc[0], qc[1], steps);
  }

  /** Query [B, D] and candidate [B, N, D] embeddings of {@code in} as arrays in {@code scope}. */
  public NDArray[] arrays(NDManager scope, BridgeInputs in) {
    if (in.dimension() != shape.dimension() || in.candidates() != shape.candidates()) {
      throw new IllegalArgumentException("inputs of " + in.candidates() + " x " + in.dimension() + " do not fit a decoder of "
          + shape.candidates() + " x " + shape.dimension());
    }
    Device device = manager.getDevice();
    return new NDArray[] {
        scope.create(in.queries(), new Shape(in.batch(), in.dimension())).toDevice(device, false),
        scope.create(in.passages(), new Shape(in.batch(), in.candidates(), in.dimension())).toDevice(device, false)};
  }

  /**
   * Log-probabilities from embeddings given as arrays: query {@code q} [B, D] and candidates {@code c}
   * [B, N, D]. With a trainable encoder they carry its gradients.
   */
  public NDArray logProbabilities(NDManager scope, NDArray q, NDArray c, DecoderSteps steps) {
    int b = Math.toIntExact(q.getShape().get(0)), n = shape.candidates(), d = shape.dimension(), h = shape.hidden(), t = steps.steps(), o = steps.options();
    if (steps.batch() != b || steps.steps() != shape.maxLength() + 1 || steps.options() != n + 1 || !c.getShape().equals(new Shape(b, n, d))) {
      throw new IllegalArgumentException("decoder steps or embeddings do not match a decoder of " + n + " x " + d);
    }
    Device device = manager.getDevice();
    NDArray qc = c.mul(q.reshape(b, 1, d));
    NDArray similarity = qc.sum(new int[] {2}, true);
    NDArray candidates = NDArrays.concat(new NDList(c, qc), 2).matMul(p("candidate.weight"))
        .add(similarity.mul(p("candidate.similarity"))).add(p("candidate.rank")).add(p("candidate.bias")).tanh();
    NDArray stop = p("stop").reshape(1, 1, h).repeat(0, b);
    NDArray options = NDArrays.concat(new NDList(candidates, stop), 1);
    NDArray counts = scope.create(steps.counts(), new Shape(b, t, n)).toDevice(device, false);
    NDArray prefixLength = scope.create(steps.prefixLength(), new Shape(1, t, 1)).toDevice(device, false);
    NDArray prefix = counts.matMul(candidates).div(prefixLength);
    NDArray state = q.matMul(p("state.query")).reshape(b, 1, h).add(prefix.matMul(p("state.prefix")))
        .add(p("state.step")).add(p("state.bias")).tanh();
    NDArray copies = scope.create(steps.copies(), new Shape(b, t, o, 1)).toDevice(device, false);
    NDArray last = scope.create(steps.last(), new Shape(b, t, o, 1)).toDevice(device, false);
    NDArray hidden = options.matMul(p("score.option")).reshape(b, 1, o, h)
        .add(state.matMul(p("score.state")).reshape(b, t, 1, h))
        .add(copies.mul(p("score.copies"))).add(last.mul(p("score.last"))).tanh();
    NDArray logits = hidden.matMul(p("score.v")).reshape(b, t, o);
    NDArray penalty = scope.create(steps.penalty(), new Shape(b, t, o)).toDevice(device, false);
    return logits.add(penalty).logSoftmax(2);
  }

  private NDArray p(String name) {
    return params.get(name);
  }

  /**
   * Emits one sequence per row, step by step: the most likely option ({@code sampler} null) or one
   * drawn from the policy. Runs without gradients.
   */
  public List<List<Integer>> decode(BridgeInputs in, Random sampler) {
    try (NDManager scope = manager.newSubManager()) {
      NDArray[] qc = arrays(scope, in);
      return decode(qc[0], qc[1], in.counts(), sampler);
    }
  }

  /** {@link #decode(BridgeInputs, Random)} over embeddings given as arrays; {@code counts[b]} candidates of row b are real. */
  public List<List<Integer>> decode(NDArray q, NDArray c, int[] counts, Random sampler) {
    int b = counts.length, n = shape.candidates(), t = shape.maxLength() + 1, o = n + 1;
    List<List<Integer>> sequences = new ArrayList<>();
    for (int i = 0; i < b; i++) sequences.add(new ArrayList<>());
    boolean[] done = new boolean[b];
    for (int step = 0; step < t; step++) {
      float[] logp;
      try (NDManager scope = manager.newSubManager()) {
        DecoderSteps steps = DecoderSteps.ofPrefixes(sequences, counts, n, shape.maxLength(), shape.maxRepeats());
        logp = logProbabilities(scope, q, c, steps).toFloatArray();
      }
      boolean all = true;
      for (int row = 0; row < b; row++) {
        if (done[row]) continue;
        int base = (row * t + step) * o;
        int choice = sampler == null ? argmax(logp, base, o) : sample(logp, base, o, sampler);
        if (choice == n) done[row] = true;
        else sequences.get(row).add(choice);
        all &= done[row];
      }
      if (all) break;
    }
    return sequences;
  }

  private static int argmax(float[] logp, int base, int o) {
    int best = 0;
    for (int j = 1; j < o; j++) if (logp[base + j] > logp[base + best]) best = j;
    return best;
  }

  private static int sample(float[] logp, int base, int o, Random random) {
    double u = random.nextDouble(), cumulative = 0;
    int fallback = argmax(logp, base, o);
    for (int j = 0; j < o; j++) {
      cumulative += Math.exp(logp[base + j]);
      if (u < cumulative) return j;
    }
    return fallback;
  }

  @Override
  public void close() {
    manager.close();
  }
}

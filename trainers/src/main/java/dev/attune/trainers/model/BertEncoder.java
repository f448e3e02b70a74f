package dev.attune.trainers.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.attune.models.encoder.Encoder;
import dev.attune.models.encoder.ModelSpec;
import dev.attune.models.encoder.OnnxGraph;
import dev.attune.models.encoder.TextTokenizer;
import dev.attune.models.encoder.TokenBatch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder built from DJL ops over weights read from an ONNX export, so it can be fine-tuned.
 * Post-LayerNorm, erf-GELU, CLS or mean pooling, L2-normalised output: the same function as the ONNX graph
 * (DJL's own {@code BertBlock} lays weights out differently and does not match Hugging Face).
 */
public final class BertEncoder implements Encoder {
  private final String version;
  private final ModelSpec spec;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Map<String, Adapter> adapters = new LinkedHashMap<>();
  private final TextTokenizer tokenizer;

  /**
   * A low-rank adapter on one dense layer: {@code x·W + (x·down)·up·scale}. {@code up} starts at
   * zero, so the adapted encoder starts as the original; on save the product is merged into W.
   */
  private record Adapter(NDArray down, NDArray up, float scale) {}

  private BertEncoder(String version, ModelSpec spec, NDManager manager, Map<String, NDArray> params, TextTokenizer tokenizer) {
    this.version = version;
    this.spec = spec;
    this.manager = manager;
    this.params = params;
    this.tokenizer = tokenizer;
  }

  /**
   * The device training runs on: {@code -Dattune.device} ({@code cpu}, {@code gpu}, {@code gpu:1})
   * when set, else the first GPU the engine sees, else the CPU.
   */
  public static Device defaultDevice() {
    String chosen = System.getProperty("attune.device", "").trim();
    if (!chosen.isEmpty()) {
      Device device = parseDevice(chosen);
      if (device.isGpu() && device.getDeviceId() >= Engine.getInstance().getGpuCount()) {
        throw new IllegalArgumentException("attune.device=" + chosen + " but the engine sees " + Engine.getInstance().getGpuCount() + " GPU(s)");
      }
      return device;
    }
    return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }

  private static final Pattern DEVICE_NAME = Pattern.compile("(cpu|gpu):?(\\d*)");

  /**
   * {@code cpu}, {@code gpu} (the first), {@code gpu:N} or {@code gpuN}. DJL's own parser reads
   * {@code gpu} as device -1, which CUDA's memory queries and the PyTorch peer refuse, and does not
   * take {@code gpu:N}.
   */
  static Device parseDevice(String name) {
    Matcher m = DEVICE_NAME.matcher(name.toLowerCase(Locale.ROOT));
    if (!m.matches() || (m.group(1).equals("cpu") && !m.group(2).isEmpty())) {
      throw new IllegalArgumentException("attune.device=" + name + ": expected cpu, gpu or gpu:N");
    }
    if (m.group(1).equals("cpu")) return Device.cpu();
    return Device.gpu(m.group(2).isEmpty() ? 0 : Integer.parseInt(m.group(2)));
  }

  public static BertEncoder load(String version, Path modelDir, ModelSpec spec, int maxLength, Device device) throws IOException {
    Map<String, OnnxGraph.Tensor> tensors = OnnxGraph.readInitializers(Files.readAllBytes(modelDir.resolve(ModelSpec.ONNX_FILE)));
    NDManager manager = NDManager.newBaseManager(device);
    Map<String, NDArray> params = new LinkedHashMap<>();
    tensors.forEach((name, t) -> params.put(name, manager.create(t.values(), new Shape(t.shape()))));
    for (String required : List.of("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight")) {
      if (!params.containsKey(required)) {
        manager.close();
        throw new IOException("ONNX model in " + modelDir + " has no initializer " + required + "; is it a BERT export?");
      }
    }
    return new BertEncoder(version, spec, manager, params, new TextTokenizer(modelDir.resolve(ModelSpec.TOKENIZER_FILE), maxLength));
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  public ModelSpec spec() {
    return spec;
  }

  public Map<String, NDArray> parameters() {
    return params;
  }

  /** The manager that owns the weights; per-step arrays go in its sub-managers. */
  public NDManager manager() {
    return manager;
  }

  /** Overwrites the weights in place with checkpointed values. */
  public void loadWeights(Map<String, float[]> weights) {
    overwrite(params, weights);
  }

  /** Overwrites the trainable weights (adapters included) with checkpointed values; the frozen ones stay the loaded model's. */
  public void loadTrainable(Map<String, float[]> weights) {
    overwrite(trainableParameters(), weights);
  }

  private static void overwrite(Map<String, NDArray> targets, Map<String, float[]> weights) {
    for (Map.Entry<String, NDArray> p : targets.entrySet()) {
      float[] values = weights.get(p.getKey());
      if (values == null || values.length != p.getValue().size()) {
        throw new IllegalArgumentException("checkpoint has no weights of size " + p.getValue().size() + " for " + p.getKey());
      }
      p.getValue().set(java.nio.FloatBuffer.wrap(values));
    }
  }

  public void setTrainable(boolean trainable) {
    setTrainable(name -> trainable);
  }

  /**
   * Trains the weights {@code which} names (adapters as {@code <layer>.lora_down} and {@code
   * <layer>.lora_up}); the others are constants, so no graph is recorded below the lowest trained
   * layer and its backward pass never runs.
   */
  public void setTrainable(java.util.function.Predicate<String> which) {
    params.forEach((name, p) -> p.setRequiresGradient(which.test(name)));
    adapters.forEach((layer, a) -> {
      a.down().setRequiresGradient(which.test(layer + ".lora_down"));
      a.up().setRequiresGradient(which.test(layer + ".lora_up"));
    });
  }

  /** The weights that train now: chosen base weights and adapters ({@code <layer>.lora_down}, {@code <layer>.lora_up}). */
  public Map<String, NDArray> trainableParameters() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    params.forEach((name, p) -> {
      if (p.hasGradient()) out.put(name, p);
    });
    adapters.forEach((layer, a) -> {
      if (a.down().hasGradient()) out.put(layer + ".lora_down", a.down());
      if (a.up().hasGradient()) out.put(layer + ".lora_up", a.up());
    });
    return out;
  }

  /**
   * Adds a rank-{@code rank} adapter to each named dense layer (e.g. {@code
   * encoder.layer.3.attention.self.query}): down-projection drawn from U(±1/√in) with {@code seed},
   * up-projection zero, output scaled by {@code scale} (LoRA's α / r).
   */
  public void addAdapters(List<String> layers, int rank, float scale, long seed) {
    java.util.Random random = new java.util.Random(seed);
    for (String layer : layers) {
      NDArray weight = params.get(layer + ".weight");
      if (weight == null) throw new IllegalArgumentException("no dense layer " + layer + " to adapt");
      if (adapters.containsKey(layer)) throw new IllegalStateException("layer " + layer + " already has an adapter");
      int in = (int) weight.getShape().get(0);
      int out = (int) weight.getShape().get(1);
      float bound = (float) (1 / Math.sqrt(in));
      float[] down = new float[in * rank];
      for (int i = 0; i < down.length; i++) down[i] = (random.nextFloat() * 2 - 1) * bound;
      adapters.put(layer, new Adapter(manager.create(down, new Shape(in, rank)), manager.zeros(new Shape(rank, out)), scale));
    }
  }

  /** The weight {@code name} as the encoder computes it: with its adapter's product merged in. */
  private float[] effective(String name) {
    NDArray p = params.get(name);
    if (p == null) return null;
    Adapter a = name.endsWith(".weight") ? adapters.get(name.substring(0, name.length() - ".weight".length())) : null;
    if (a == null) return p.toFloatArray();
    try (NDManager scope = manager.newSubManager()) {
      NDArray merged = a.down().matMul(a.up()).mul(a.scale()).add(p);
      merged.attach(scope);
      return merged.toFloatArray();
    }
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public int dimension() {
    return spec.hidden();
  }

  /** Transformer layers. */
  public int layers() {
    return spec.layers();
  }

  /** Normalised pooled embeddings [B, hidden]; every intermediate lives in {@code batch}. */
  public NDArray forward(NDManager batch, TokenBatch tokens) {
    int b = tokens.size();
    int len = tokens.length();
    int hidden = spec.hidden();
    int heads = spec.heads();
    int headDim = hidden / heads;
    NDArray ids = batch.create(tokens.flat(tokens.ids()), new Shape(b, len)).toDevice(manager.getDevice(), false);
    NDArray types = batch.create(tokens.flat(tokens.types()), new Shape(b, len)).toDevice(manager.getDevice(), false);
    NDArray mask = batch.create(tokens.flat(tokens.mask()), new Shape(b, len)).toDevice(manager.getDevice(), false);
    NDArray positions = batch.arange(0, len, 1, DataType.INT64, manager.getDevice()).reshape(1, len);

    NDArray x = lookup(batch, "embeddings.word_embeddings.weight", ids)
        .add(lookup(batch, "embeddings.token_type_embeddings.weight", types))
        .add(lookup(batch, "embeddings.position_embeddings.weight", positions));
    x = layerNorm(x, "embeddings.LayerNorm");
    NDArray maskBias = mask.toType(DataType.FLOAT32, false).sub(1f).mul(1e9f).reshape(b, 1, 1, len);
    for (int layer = 0; layer < spec.layers(); layer++) {
      // A layer's intermediates are released as soon as it is done: the Java handles are closed, and
      // libtorch keeps alive only what autograd saved for the backward pass. Held to the step's end,
      // they were most of a training step's memory (every matmul, bias, score and GELU of 12 layers).
      try (NDScope scope = new NDScope()) {
        x = layer(x, maskBias, "encoder.layer." + layer + ".", b, len, hidden, heads, headDim);
        NDScope.unregister(x);
      }
    }
    NDArray pooled;
    if (spec.pooling() == ModelSpec.Pooling.CLS) {
      pooled = x.get(":, 0, :");
    } else {
      NDArray weights = mask.toType(DataType.FLOAT32, false).reshape(b, len, 1);
      pooled = x.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}).maximum(1e-9f));
    }
    return pooled.div(GraphScalars.maximum(pooled.square().sum(new int[] {1}, true).sqrt(), 1e-12f));
  }

  /** One transformer layer (post-LayerNorm). Queries are scaled before the score matmul: a [B,H,L,d] copy, not a [B,H,L,L] one. */
  private NDArray layer(NDArray x, NDArray maskBias, String p, int b, int len, int hidden, int heads, int headDim) {
    float scale = (float) (1.0 / Math.sqrt(headDim));
    NDArray q = GraphScalars.mul(heads(dense(x, p + "attention.self.query"), b, len, heads, headDim), scale);
    NDArray k = heads(dense(x, p + "attention.self.key"), b, len, heads, headDim);
    NDArray v = heads(dense(x, p + "attention.self.value"), b, len, heads, headDim);
    NDArray attention = q.matMul(k.transpose(0, 1, 3, 2)).add(maskBias).softmax(-1);
    NDArray context = attention.matMul(v).transpose(0, 2, 1, 3).reshape(b, len, hidden);
    NDArray attended = layerNorm(dense(context, p + "attention.output.dense").add(x), p + "attention.output.LayerNorm");
    NDArray inner = Activation.gelu(dense(attended, p + "intermediate.dense"));
    return layerNorm(dense(inner, p + "output.dense").add(attended), p + "output.LayerNorm");
  }

  private NDArray lookup(NDManager batch, String table, NDArray ids) {
    NDArray out = Embedding.embedding(ids, params.get(table), SparseFormat.DENSE).singletonOrThrow();
    out.attach(batch);
    return out;
  }

  private NDArray dense(NDArray x, String prefix) {
    NDArray out = x.matMul(params.get(prefix + ".weight")).add(params.get(prefix + ".bias"));
    Adapter a = adapters.get(prefix);
    return a == null ? out : out.add(GraphScalars.mul(x.matMul(a.down()).matMul(a.up()), a.scale()));
  }

  private static NDArray heads(NDArray x, int b, int len, int heads, int headDim) {
    return x.reshape(b, len, heads, headDim).transpose(0, 2, 1, 3);
  }

  private NDArray layerNorm(NDArray x, String prefix) {
    return LayerNorm.layerNorm(
            x, new Shape(spec.hidden()), params.get(prefix + ".weight"), params.get(prefix + ".bias"), (float) spec.layerNormEps())
        .singletonOrThrow();
  }

  @Override
  public float[][] embedBatch(List<String> texts, int maxLength) {
    try (NDManager batch = manager.newSubManager()) {
      NDArray out = forward(batch, tokenizer.tokenize(texts, maxLength));
      float[] flat = out.toType(DataType.FLOAT32, false).toFloatArray();
      float[][] rows = new float[texts.size()][spec.hidden()];
      for (int i = 0; i < rows.length; i++) System.arraycopy(flat, i * spec.hidden(), rows[i], 0, spec.hidden());
      return rows;
    }
  }

  /** Writes the current weights into a copy of {@code templateDir}'s ONNX graph, plus its tokenizer and spec. */
  public void save(Path templateDir, Path targetDir) throws IOException {
    Files.createDirectories(targetDir);
    byte[] template = Files.readAllBytes(templateDir.resolve(ModelSpec.ONNX_FILE));
    byte[] model = OnnxGraph.replaceInitializers(template, this::effective);
    Path tmp = targetDir.resolve(ModelSpec.ONNX_FILE + ".part");
    Files.write(tmp, model);
    Files.move(tmp, targetDir.resolve(ModelSpec.ONNX_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Files.copy(templateDir.resolve(ModelSpec.TOKENIZER_FILE), targetDir.resolve(ModelSpec.TOKENIZER_FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    spec.writeTo(targetDir);
  }

  @Override
  public void close() {
    tokenizer.close();
    manager.close();
  }
}

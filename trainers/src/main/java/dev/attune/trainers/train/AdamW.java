package dev.attune.trainers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay and linear warm-up then linear decay, written out so its state
 * (moments and step count) can be checkpointed and restored exactly; DJL's optimisers keep theirs
 * private. Updates must run with the thread's grad mode off (see {@link RetrieverTrainer}). On the
 * CPU a step is {@link HostAdamW}'s two passes over the tensors' memory; elsewhere, tensor operations.
 */
public final class AdamW implements AutoCloseable {
  static final float BETA1 = 0.9f;
  static final float BETA2 = 0.999f;
  static final float EPSILON = 1e-8f;
  private final float learningRate;
  private final float weightDecay;
  private final int warmupSteps;
  private final int totalSteps;
  private final NDManager manager;
  private final Map<String, NDArray> mean = new LinkedHashMap<>();
  private final Map<String, NDArray> variance = new LinkedHashMap<>();
  private int step;
  private List<String> nonFinite = List.of();

  public AdamW(NDManager parent, float learningRate, float weightDecay, int warmupSteps, int totalSteps) {
    this.manager = parent.newSubManager();
    this.learningRate = learningRate;
    this.weightDecay = weightDecay;
    this.warmupSteps = warmupSteps;
    this.totalSteps = Math.max(1, totalSteps);
  }

  /** Learning rate at {@code step} (1-based): linear warm-up, then linear decay to 10% at the end. */
  float rate(int step) {
    if (step <= warmupSteps) return learningRate * step / Math.max(1, warmupSteps);
    float progress = (float) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return learningRate * Math.max(0.1f, 1f - 0.9f * progress);
  }

  /** Starts an optimiser step; call {@link #update} once per parameter afterwards. */
  public void beginStep() {
    step++;
  }

  /** One parameter's update; temporaries live in {@code scope}, which the caller closes. */
  public void update(String name, NDArray weight, NDArray gradient, NDManager scope) {
    update(name, weight, gradient, scope, 1f);
  }

  /** One parameter's update at {@code rateScale} times the schedule's rate (a slower parameter group). */
  public void update(String name, NDArray weight, NDArray gradient, NDManager scope, float rateScale) {
    NDArray m = moment(mean, name, weight);
    NDArray v = moment(variance, name, weight);
    m.muli(BETA1).addi(scoped(gradient.mul(1 - BETA1), scope));
    v.muli(BETA2).addi(scoped(gradient.square(), scope).muli(1 - BETA2));
    NDArray denominator = scoped(scoped(v.div(correction(BETA2)), scope).sqrt(), scope).addi(EPSILON);
    NDArray direction = scoped(m.div(correction(BETA1)), scope).divi(denominator);
    if (weightDecay > 0) direction.addi(scoped(weight.mul(weightDecay), scope));
    weight.subi(direction.muli(rate(step) * rateScale));
  }

  /**
   * One optimiser step from the gradients the collector left on {@code params}: global-norm clipping
   * to {@code maxNorm} (one outlier batch cannot wreck the weights), the update, then the gradients
   * zeroed for the next step. Nothing is applied when the loss or the norm is not finite; returns
   * whether the step was applied.
   */
  public boolean applyClipped(Map<String, NDArray> params, float maxNorm, boolean finiteLoss, NDManager scope) {
    return applyClipped(params, maxNorm, finiteLoss, scope, name -> 1f);
  }

  /** As above, each parameter at {@code rateScale(name)} times the schedule's rate. */
  public boolean applyClipped(Map<String, NDArray> params, float maxNorm, boolean finiteLoss, NDManager scope, ToFloatFunction rateScale) {
    Map<String, NDArray> grads = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> p : params.entrySet()) {
      NDArray grad = p.getValue().getGradient();
      grad.attach(scope);
      grads.put(p.getKey(), grad);
    }
    HostAdamW host = host(params, grads, rateScale);
    double[] parts = host != null ? host.squaredNorms() : grads.values().stream().mapToDouble(g -> g.pow(2).sum().getFloat()).toArray();
    double squared = 0;
    nonFinite = new ArrayList<>();
    List<String> names = List.copyOf(grads.keySet());
    for (int i = 0; i < parts.length; i++) {
      if (!Double.isFinite(parts[i])) nonFinite.add(names.get(i));
      squared += parts[i];
    }
    double norm = Math.sqrt(squared);
    boolean finite = finiteLoss && Double.isFinite(norm);
    float scale = (float) Math.min(1.0, maxNorm / (norm + 1e-6));
    if (finite) beginStep();
    if (host != null) {
      host.update(new HostAdamW.Step(scale, correction(BETA1), correction(BETA2), rate(step), weightDecay), finite);
      return finite;
    }
    for (Map.Entry<String, NDArray> g : grads.entrySet()) {
      NDArray grad = g.getValue();
      if (finite) {
        if (scale < 1f) grad.muli(scale);
        update(g.getKey(), params.get(g.getKey()), grad, scope, rateScale.apply(g.getKey()));
      }
      // Zero in place for the next step; 0 × NaN is NaN, so NaNs are overwritten explicitly.
      grad.muli(0f);
      grad.set(grad.isNaN(), 0f);
    }
    return finite;
  }

  /** The host-memory pass over every parameter, or null when any array is not shared host memory (a GPU). */
  private HostAdamW host(Map<String, NDArray> params, Map<String, NDArray> grads, ToFloatFunction rateScale) {
    List<HostAdamW.Slot> slots = new ArrayList<>();
    for (Map.Entry<String, NDArray> p : params.entrySet()) {
      String name = p.getKey();
      FloatBuffer weight = HostAdamW.shared(p.getValue());
      if (weight == null) return null;
      slots.add(new HostAdamW.Slot(weight, HostAdamW.shared(grads.get(name)), HostAdamW.shared(moment(mean, name, p.getValue())),
          HostAdamW.shared(moment(variance, name, p.getValue())), rateScale.apply(name)));
    }
    return HostAdamW.of(slots);
  }

  private NDArray moment(Map<String, NDArray> moments, String name, NDArray weight) {
    return moments.computeIfAbsent(name, n -> manager.zeros(weight.getShape(), weight.getDataType(), weight.getDevice()));
  }

  private float correction(float beta) {
    return 1 - (float) Math.pow(beta, step);
  }

  /** The parameters whose gradient was not finite at the last {@code applyClipped}. */
  public List<String> nonFiniteGradients() {
    return List.copyOf(nonFinite);
  }

  /** A learning-rate multiplier per parameter name. */
  @FunctionalInterface
  public interface ToFloatFunction {
    float apply(String name);
  }

  private static NDArray scoped(NDArray temporary, NDManager scope) {
    temporary.attach(scope);
    return temporary;
  }

  public int step() {
    return step;
  }

  Map<String, NDArray> mean() {
    return mean;
  }

  Map<String, NDArray> variance() {
    return variance;
  }

  /** Restores a checkpointed state; the arrays are copied into this optimiser's memory. */
  public void restore(int step, Map<String, float[]> mean, Map<String, float[]> variance, Map<String, NDArray> weights) {
    this.step = step;
    mean.forEach((name, values) -> this.mean.put(name, copy(values, weights.get(name))));
    variance.forEach((name, values) -> this.variance.put(name, copy(values, weights.get(name))));
  }

  private NDArray copy(float[] values, NDArray like) {
    if (like == null) throw new IllegalArgumentException("checkpointed optimiser state names a parameter the model does not have");
    return manager.create(values, like.getShape()).toDevice(like.getDevice(), false);
  }

  @Override
  public void close() {
    manager.close();
  }
}

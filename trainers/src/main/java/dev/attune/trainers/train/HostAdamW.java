package dev.attune.trainers.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link AdamW}'s step for parameters in host memory, done in two passes over shared buffers (one
 * for the gradient norm, one that updates moments and weight and zeroes the gradient) instead of
 * about twenty tensor operations per parameter, most of them allocating a parameter-sized
 * temporary. On a 2-core CPU those operations took as long as the query-side step's forward and
 * backward together (bge-small's 33M weights, 11.7M of them word embeddings whose dense gradient
 * AdamW updates every step). The arithmetic is {@link AdamW#update}'s, in float, in the same order.
 *
 * <p>Each array is read and written through the direct buffer libtorch hands out for a contiguous
 * CPU tensor, which shares the tensor's memory; for any other tensor that buffer is a copy, so
 * {@link #of} checks the sharing and returns null, and the optimiser keeps its tensor operations
 * (a GPU, a non-contiguous view).
 */
final class HostAdamW {
  /** Elements per pass through the scratch arrays: four arrays of it stay in a core's cache. */
  private static final int BLOCK = 4096;
  /** Elements per task: the word embeddings split across cores, small parameters one task each. */
  private static final int TASK = 1 << 20;
  private static final float[] ZEROS = new float[BLOCK];
  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][BLOCK]);

  /** One parameter's arrays, each a view of its tensor's memory. */
  record Slot(FloatBuffer weight, FloatBuffer gradient, FloatBuffer mean, FloatBuffer variance, float rateScale) {
    int size() {
      return weight.capacity();
    }
  }

  /** The step's hyper-parameters: bias corrections and rate at this step, clipping scale. */
  record Step(float scale, float correction1, float correction2, float rate, float weightDecay) {}

  private record Task(int index, Slot slot, int from, int to) {}

  private final List<Slot> slots;

  private HostAdamW(List<Slot> slots) {
    this.slots = slots;
  }

  /** A pass over {@code slots}, or null when any of their arrays is not shared host memory (null buffers). */
  static HostAdamW of(List<Slot> slots) {
    boolean shared = slots.stream().allMatch(s -> s.weight() != null && s.gradient() != null && s.mean() != null && s.variance() != null);
    return shared ? new HostAdamW(slots) : null;
  }

  /** {@code array}'s memory as a float buffer, or null when it is not a contiguous float tensor in host memory. */
  static FloatBuffer shared(NDArray array) {
    if (!(array instanceof PtNDArray pt) || !Device.cpu().equals(array.getDevice()) || array.getDataType() != DataType.FLOAT32
        || array.isSparse() || array.size() == 0) {
      return null;
    }
    ByteBuffer first = pt.toByteBuffer(true);
    ByteBuffer second = pt.toByteBuffer(true);
    if (!first.isDirect()) return null;
    // A tensor that is not contiguous comes back as a fresh copy each time: a bit written through one
    // buffer shows through the other only when both are the tensor itself.
    int kept = first.getInt(0);
    first.putInt(0, kept ^ 1);
    boolean sharedMemory = second.getInt(0) == (kept ^ 1);
    first.putInt(0, kept);
    return sharedMemory ? first.asFloatBuffer() : null;
  }

  /** Each parameter's squared gradient norm, in {@code slots}' order. */
  double[] squaredNorms() {
    double[] out = new double[slots.size()];
    List<Task> tasks = tasks();
    double[] parts = new double[tasks.size()];
    java.util.stream.IntStream.range(0, tasks.size()).parallel().forEach(t -> parts[t] = squares(tasks.get(t)));
    for (int t = 0; t < tasks.size(); t++) out[tasks.get(t).index()] += parts[t];
    return out;
  }

  /** Moments and weights updated by {@code step} (when {@code apply}), every gradient zeroed for the next step. */
  void update(Step step, boolean apply) {
    tasks().parallelStream().forEach(t -> {
      if (apply) update(t, step);
      else zero(t);
    });
  }

  private List<Task> tasks() {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < slots.size(); i++) {
      Slot s = slots.get(i);
      for (int from = 0; from < s.size(); from += TASK) tasks.add(new Task(i, s, from, Math.min(s.size(), from + TASK)));
    }
    return tasks;
  }

  private static double squares(Task t) {
    float[] g = SCRATCH.get()[0];
    double sum = 0;
    for (int at = t.from(); at < t.to(); at += BLOCK) {
      int n = Math.min(BLOCK, t.to() - at);
      t.slot().gradient().get(at, g, 0, n);
      for (int i = 0; i < n; i++) sum += (double) g[i] * g[i];
    }
    return sum;
  }

  private static void update(Task t, Step step) {
    float[][] scratch = SCRATCH.get();
    float[] g = scratch[0], m = scratch[1], v = scratch[2], w = scratch[3];
    Slot s = t.slot();
    boolean clip = step.scale() < 1f;
    boolean decay = step.weightDecay() > 0;
    float rate = step.rate() * s.rateScale();
    for (int at = t.from(); at < t.to(); at += BLOCK) {
      int n = Math.min(BLOCK, t.to() - at);
      s.gradient().get(at, g, 0, n);
      s.mean().get(at, m, 0, n);
      s.variance().get(at, v, 0, n);
      s.weight().get(at, w, 0, n);
      for (int i = 0; i < n; i++) {
        float gi = clip ? g[i] * step.scale() : g[i];
        m[i] = m[i] * AdamW.BETA1 + gi * (1 - AdamW.BETA1);
        v[i] = v[i] * AdamW.BETA2 + gi * gi * (1 - AdamW.BETA2);
        float direction = (m[i] / step.correction1()) / ((float) Math.sqrt(v[i] / step.correction2()) + AdamW.EPSILON);
        if (decay) direction += w[i] * step.weightDecay();
        w[i] -= direction * rate;
      }
      s.mean().put(at, m, 0, n);
      s.variance().put(at, v, 0, n);
      s.weight().put(at, w, 0, n);
      s.gradient().put(at, ZEROS, 0, n);
    }
  }

  private static void zero(Task t) {
    for (int at = t.from(); at < t.to(); at += BLOCK) t.slot().gradient().put(at, ZEROS, 0, Math.min(BLOCK, t.to() - at));
  }
}

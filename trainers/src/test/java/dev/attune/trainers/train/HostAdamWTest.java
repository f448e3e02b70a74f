package dev.attune.trainers.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host-memory pass of {@link AdamW#applyClipped} against its tensor operations ({@link
 * AdamW#update} after the same clipping), over several steps with clipping and weight decay, on a
 * parameter larger than one task (so it is split across cores) and a small one.
 */
class HostAdamWTest {
  @BeforeAll
  static void gradientsOnlyInCollectors() {
    Engine.getInstance(); // loads libtorch before the first JNI call
    JniUtils.setGradMode(false);
  }

  @Test
  void a_cpu_tensor_is_shared_and_a_transposed_view_is_not() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray matrix = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
      assertThat(HostAdamW.shared(matrix)).isNotNull();
      HostAdamW.shared(matrix).put(4, 50f);
      assertThat(matrix.toFloatArray()[4]).as("written through the buffer").isEqualTo(50f);
      assertThat(matrix.toFloatArray()).containsExactly(1, 2, 3, 4, 50, 6);
      assertThat(HostAdamW.shared(matrix.transpose())).as("a view that is not contiguous comes back as a copy").isNull();
    }
  }

  @Test
  void the_host_pass_updates_as_the_tensor_operations_do() {
    int big = (1 << 20) + 4099;
    Random random = new Random(3);
    float[] bigWeights = values(random, big), smallWeights = values(random, 300);
    try (NDManager manager = NDManager.newBaseManager();
        AdamW host = new AdamW(manager, 1e-2f, 0.01f, 1, 5);
        AdamW tensors = new AdamW(manager, 1e-2f, 0.01f, 1, 5)) {
      Map<String, NDArray> a = params(manager, bigWeights, smallWeights);
      Map<String, NDArray> b = params(manager, bigWeights, smallWeights);
      for (int step = 0; step < 3; step++) {
        // Large gradients: the global norm is far above 1, so every step is clipped.
        float[] gBig = values(random, big), gSmall = values(random, 300);
        backward(a, gBig, gSmall);
        backward(b, gBig, gSmall);
        try (NDManager scope = manager.newSubManager()) {
          assertThat(host.applyClipped(a, 1f, true, scope)).isTrue();
          tensorStep(tensors, b, 1f, scope);
        }
      }
      assertThat(host.step()).isEqualTo(3);
      for (String name : a.keySet()) {
        assertClose(a.get(name).toFloatArray(), b.get(name).toFloatArray(), name + " weights");
        assertClose(host.mean().get(name).toFloatArray(), tensors.mean().get(name).toFloatArray(), name + " mean");
        assertClose(host.variance().get(name).toFloatArray(), tensors.variance().get(name).toFloatArray(), name + " variance");
        assertThat(a.get(name).getGradient().sum().getFloat()).as(name + " gradient zeroed").isZero();
      }
      assertThat(a.get("big").toFloatArray()[7]).as("the weights moved").isNotEqualTo(bigWeights[7]);
    }
  }

  @Test
  void a_non_finite_gradient_skips_the_update_names_the_parameter_and_is_zeroed() {
    try (NDManager manager = NDManager.newBaseManager(); AdamW adam = new AdamW(manager, 1e-2f, 0.01f, 0, 5)) {
      Map<String, NDArray> p = params(manager, new float[] {1, 2, 3}, new float[] {4, 5});
      backward(p, new float[] {1, Float.NaN, 1}, new float[] {1, 1});
      try (NDManager scope = manager.newSubManager()) {
        assertThat(adam.applyClipped(p, 1f, true, scope)).isFalse();
      }
      assertThat(adam.nonFiniteGradients()).containsExactly("big");
      assertThat(adam.step()).isZero();
      assertThat(p.get("big").toFloatArray()).containsExactly(1, 2, 3);
      assertThat(p.get("big").getGradient().toFloatArray()).containsExactly(0, 0, 0);
      assertThat(p.get("small").getGradient().toFloatArray()).containsExactly(0, 0);
    }
  }

  /** What applyClipped does with tensor operations: the global norm, the clip, then each parameter's update. */
  private static void tensorStep(AdamW adam, Map<String, NDArray> params, float maxNorm, NDManager scope) {
    double squared = 0;
    for (NDArray p : params.values()) squared += p.getGradient().pow(2).sum().getFloat();
    float scale = (float) Math.min(1.0, maxNorm / (Math.sqrt(squared) + 1e-6));
    adam.beginStep();
    for (Map.Entry<String, NDArray> p : params.entrySet()) {
      NDArray grad = p.getValue().getGradient();
      grad.attach(scope);
      if (scale < 1f) grad.muli(scale);
      adam.update(p.getKey(), p.getValue(), grad, scope);
      grad.muli(0f);
    }
  }

  private static Map<String, NDArray> params(NDManager manager, float[] big, float[] small) {
    Map<String, NDArray> params = new LinkedHashMap<>();
    params.put("big", manager.create(big));
    params.put("small", manager.create(small));
    params.values().forEach(p -> p.setRequiresGradient(true));
    return params;
  }

  /** Leaves {@code gBig} and {@code gSmall} as the parameters' gradients: d(Σ w·g)/dw = g. */
  private static void backward(Map<String, NDArray> params, float[] gBig, float[] gSmall) {
    try (NDManager scope = params.get("big").getManager().newSubManager(); GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = params.get("big").mul(scope.create(gBig)).sum().add(params.get("small").mul(scope.create(gSmall)).sum());
      collector.backward(loss);
    }
  }

  private static float[] values(Random random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = (float) random.nextGaussian();
    return out;
  }

  private static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      if (Math.abs(actual[i] - expected[i]) > 1e-6f * Math.max(1f, Math.abs(expected[i]))) {
        assertThat(actual[i]).as(what + " [" + i + "]").isCloseTo(expected[i], within(1e-6f * Math.max(1f, Math.abs(expected[i]))));
      }
    }
  }
}

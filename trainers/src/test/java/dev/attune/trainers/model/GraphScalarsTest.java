package dev.attune.trainers.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backward pass of an op with a number gives the right gradient even when every Java direct
 * buffer that op could have left behind is freed and its memory written over before the backward
 * pass, which is what a garbage collection between forward and backward does in training. With
 * DJL's own {@code mul(Number)} in place of {@link GraphScalars#mul} this test reads the
 * overwritten memory: gradients of 777 or garbage instead of 0.5 (checked).
 */
class GraphScalarsTest {
  private static final float SENTINEL = 777f;

  @BeforeAll
  static void loadEngine() {
    Engine.getInstance(); // loads libtorch before the first JNI call
  }

  @Test
  void a_product_with_a_number_back_propagates_the_number() {
    assertThat(gradient(x -> GraphScalars.mul(x, 0.5f), 1f, 2f, 3f)).containsExactly(0.5f, 0.5f, 0.5f);
  }

  @Test
  void a_quotient_by_a_number_back_propagates_its_inverse() {
    assertThat(gradient(x -> GraphScalars.div(x, 4f), 1f, 2f, 3f)).containsExactly(0.25f, 0.25f, 0.25f);
  }

  @Test
  void a_maximum_with_a_number_passes_the_gradient_where_the_array_is_larger() {
    assertThat(gradient(x -> GraphScalars.maximum(x, 1.5f), 1f, 2f, 3f)).containsExactly(0f, 1f, 1f);
  }

  /** d Σ op(x) / dx, with the memory of any direct buffer the forward pass released overwritten first. */
  private static float[] gradient(UnaryOperator<NDArray> op, float... values) {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.create(values);
      x.setRequiresGradient(true);
      List<ByteBuffer> overwrite = new ArrayList<>();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        long before = directBuffers();
        NDArray y = op.apply(x).sum();
        // Wait until the garbage collector has freed every direct buffer the forward pass let go
        // of, then fill that memory.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
          System.gc();
          return directBuffers() <= before;
        });
        for (int i = 0; i < 4_000; i++) {
          overwrite.add(ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.nativeOrder()).putFloat(0, SENTINEL));
        }
        collector.backward(y);
      }
      Reference.reachabilityFence(overwrite); // the overwriting buffers stay allocated through the backward pass
      return x.getGradient().toFloatArray();
    }
  }

  private static long directBuffers() {
    return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getCount).sum();
  }
}

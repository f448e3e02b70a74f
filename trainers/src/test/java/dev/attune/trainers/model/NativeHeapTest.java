package dev.attune.trainers.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class NativeHeapTest {
  @Test
  void freed_tensor_memory_goes_back_to_the_operating_system() {
    // 64 tensors of 16 MB, allocated by libtorch through malloc and freed: glibc keeps what it can reuse.
    try (NDManager manager = NDManager.newBaseManager()) {
      for (int i = 0; i < 64; i++) {
        try (NDManager step = manager.newSubManager()) {
          NDArray a = step.randomNormal(new Shape(2048, 2048));
          a.add(1f).mul(2f);
        }
      }
    }
    NativeHeap.Trim trim = NativeHeap.trim().orElseThrow(() -> new AssertionError("this JVM (OpenJDK 17.0.9+ on glibc) should trim"));
    assertThat(trim.beforeMb()).isPositive();
    assertThat(trim.afterMb()).isLessThanOrEqualTo(trim.beforeMb());
  }
}

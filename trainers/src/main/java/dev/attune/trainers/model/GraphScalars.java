package dev.attune.trainers.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A number as an operand of an array in an autograd graph. DJL's {@code mul(Number)},
 * {@code div(Number)}, {@code pow(Number)} and {@code maximum(Number)} wrap the number in a tensor
 * over a Java direct buffer ({@code torch::from_blob}, no copy) and close it right after the op.
 * Autograd saves that tensor for the backward pass, but the buffer is the Java side's: once the
 * garbage collector frees it, the backward pass reads freed memory, and the gradient comes out
 * scaled by whatever lies there (wrong, or not finite) while the loss is right. On the CPU this is
 * a matter of when a collection runs, so it struck now and then ({@code GraphScalarsTest} forces
 * it). Here the number is a tensor libtorch allocates itself, which autograd's reference keeps
 * alive. Numbers applied to arrays outside a graph (masks, teacher scores) are safe either way.
 */
public final class GraphScalars {
  private GraphScalars() {}

  /** {@code x · v}. */
  public static NDArray mul(NDArray x, float v) {
    try (NDArray c = scalar(x, v)) {
      return x.mul(c);
    }
  }

  /** {@code x / v}. */
  public static NDArray div(NDArray x, float v) {
    try (NDArray c = scalar(x, v)) {
      return x.div(c);
    }
  }

  /** {@code max(x, v)} element-wise. */
  public static NDArray maximum(NDArray x, float v) {
    try (NDArray c = scalar(x, v)) {
      return x.maximum(c);
    }
  }

  private static NDArray scalar(NDArray like, float v) {
    return like.getManager().full(new Shape(), v, like.getDataType());
  }
}

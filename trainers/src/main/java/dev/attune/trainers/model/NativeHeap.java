package dev.attune.trainers.model;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives freed native memory back to the operating system. libtorch frees a training step's tensors
 * into glibc's malloc, which keeps the pages: after a round the process stays gigabytes larger than
 * it needs, next to serving. The JVM's own {@code System.trim_native_heap} diagnostic command
 * (glibc {@code malloc_trim}, in OpenJDK 17.0.9 and later) does the trim, reached through the
 * platform's DiagnosticCommand MBean: no JNI, no native library of ours.
 */
public final class NativeHeap {
  private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
  /** HotSpot prints each size in the largest unit that keeps it whole: 92100K, 6567M, 7G. */
  private static final Pattern RSS = Pattern.compile("RSS\\+Swap: (\\d+)([BKMG])->(\\d+)([BKMG])");

  /** RSS (with swap) before and after one trim, in MB. */
  public record Trim(long beforeMb, long afterMb) {}

  private NativeHeap() {}

  private static long megabytes(String value, String unit) {
    long v = Long.parseLong(value);
    return switch (unit) {
      case "G" -> v << 10;
      case "M" -> v;
      case "K" -> v >> 10;
      default -> v >> 20;
    };
  }

  /** Trims now; empty where the JVM or the C library cannot (another JVM, musl), which is logged and harmless. */
  public static Optional<Trim> trim() {
    try {
      Object answer = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
          "systemTrimNativeHeap", new Object[] {new String[0]}, new String[] {String[].class.getName()});
      Matcher m = RSS.matcher(String.valueOf(answer));
      if (!m.find()) {
        LOG.debug("trim_native_heap answered: {}", answer);
        return Optional.empty();
      }
      return Optional.of(new Trim(megabytes(m.group(1), m.group(2)), megabytes(m.group(3), m.group(4))));
    } catch (Exception e) {
      LOG.debug("cannot trim the native heap: {}", e.toString());
      return Optional.empty();
    }
  }

  /**
   * Hands a GPU's cached blocks back to the driver: PyTorch's caching allocator keeps a training
   * step's peak after the tensors are freed, which would starve whatever runs on the device next
   * (serving's re-embedding, another process). Nothing to do on the CPU.
   */
  public static void releaseGpuCache(Device device) {
    if (device.isGpu()) JniUtils.emptyCudaCache();
  }
}

package dev.attune.infra.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's peak resident memory (Linux {@code VmHWM}: native tensors included, which the JVM's
 * own figures miss) and the JVM heap's peak. {@link #reset} starts a new measurement, so one process
 * can report one phase at a time; memory a phase freed but the allocator kept still counts as
 * resident in the next.
 */
public final class PeakMemory {
  private PeakMemory() {}

  /** Starts measuring afresh (Linux: writes 5 to /proc/self/clear_refs); false where that is not possible. */
  public static boolean reset() {
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Peak resident set size since start or the last {@link #reset}, in MB; -1 where unknown. */
  public static long rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  /** Peak JVM heap since start or the last {@link #reset}, in MB. */
  public static long heapMb() {
    long bytes = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) bytes += pool.getPeakUsage().getUsed();
    }
    return bytes >> 20;
  }
}

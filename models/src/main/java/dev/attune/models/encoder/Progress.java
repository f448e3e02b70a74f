package dev.attune.models.encoder;

import java.io.PrintStream;

/** Periodic progress lines for long work (re-embedding, training, replay). */
public final class Progress {
  private final String label;
  private final long total;
  private final PrintStream out;
  private final long intervalMs;
  private final long startMs = System.currentTimeMillis();
  private long done;
  private long lastPrintMs;

  public Progress(String label, long total, PrintStream out, long intervalMs) {
    this.label = label;
    this.total = total;
    this.out = out;
    this.intervalMs = intervalMs;
  }

  public static Progress silent() {
    return new Progress("", 0, null, Long.MAX_VALUE);
  }

  public static Progress every(String label, long total, long intervalMs) {
    return new Progress(label, total, System.out, intervalMs);
  }

  public synchronized void advance(long n) {
    done += n;
    long now = System.currentTimeMillis();
    if (out != null && (now - lastPrintMs >= intervalMs || done >= total)) {
      lastPrintMs = now;
      double seconds = Math.max(1e-3, (now - startMs) / 1000.0);
      int width = 30;
      int filled = total <= 0 ? width : (int) Math.min(width, width * done / total);
      out.printf(
          "  %-22s [%s%s] %d/%d  %.1f/s  %.0fs%n",
          label, "#".repeat(filled), ".".repeat(width - filled), done, total, done / seconds, seconds);
    }
  }

  public long done() {
    return done;
  }

  public double seconds() {
    return (System.currentTimeMillis() - startMs) / 1000.0;
  }
}

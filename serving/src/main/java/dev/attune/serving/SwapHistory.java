package dev.attune.serving;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The last swaps and failed builds of this node, newest first, for {@code GET /v1/swaps} (the
 * console's swap timeline). Bounded: a node that swaps every few minutes for months keeps the last
 * {@code capacity} of each.
 */
public final class SwapHistory implements IndexManager.Listener {
  /** A swap and when it completed. */
  public record Entry(long atMs, IndexManager.Swap swap) {}

  /** A build or switch that failed or was refused, and why; the live version stayed. */
  public record Failure(long atMs, String model, String error) {}

  private final int capacity;
  private final LongSupplier clock;
  private final Deque<Entry> swaps = new ArrayDeque<>();
  private final Deque<Failure> failures = new ArrayDeque<>();

  public SwapHistory(int capacity, LongSupplier clock) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be positive: " + capacity);
    this.capacity = capacity;
    this.clock = clock;
  }

  public static SwapHistory recent() {
    return new SwapHistory(100, System::currentTimeMillis);
  }

  @Override
  public synchronized void swapped(IndexManager.Swap swap) {
    push(swaps, new Entry(clock.getAsLong(), swap));
  }

  @Override
  public synchronized void failed(String model, Exception cause) {
    push(failures, new Failure(clock.getAsLong(), model, String.valueOf(cause.getMessage())));
  }

  private <T> void push(Deque<T> into, T item) {
    into.addFirst(item);
    if (into.size() > capacity) into.removeLast();
  }

  public synchronized List<Entry> swaps() {
    return List.copyOf(swaps);
  }

  public synchronized List<Failure> failures() {
    return List.copyOf(failures);
  }
}

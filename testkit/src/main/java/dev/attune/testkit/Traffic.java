package dev.attune.testkit;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Requests sent back to back on a thread of their own until closed, as a client under a swap would:
 * each returns null when its answer is right, else what was wrong; a thrown exception is a failed
 * request. Tests assert {@link #problems()} is empty.
 */
public final class Traffic implements AutoCloseable {
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger served = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final Thread thread;

  public Traffic(Supplier<String> request) {
    thread = new Thread(() -> {
      while (!stop.get()) {
        try {
          String problem = request.get();
          if (problem != null) problems.add(problem);
          served.incrementAndGet();
        } catch (RuntimeException e) {
          problems.add(e.toString());
        }
      }
    }, "traffic");
    thread.start();
  }

  /** Waits until {@code n} more requests than now have been answered. */
  public void awaitMore(int n) {
    int before = served.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> served.get() >= before + n);
  }

  public List<String> problems() {
    return List.copyOf(problems);
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join();
  }
}

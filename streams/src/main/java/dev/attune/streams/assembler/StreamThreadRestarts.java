package dev.attune.streams.assembler;

import dev.attune.streams.Restarts;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a failed stream thread (its tasks restore from their changelogs) up to {@link
 * Restarts#attempts()} times in a row, waiting the back-off first; then shuts the client down, which
 * puts it in ERROR for the process to exit on. A thread that ran a while without failing resets the
 * count, so a rare failure never adds up to giving up.
 */
final class StreamThreadRestarts implements StreamsUncaughtExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(StreamThreadRestarts.class);
  private final Restarts restarts;
  private final AtomicInteger inARow = new AtomicInteger();
  private volatile long lastFailureMs;
  private volatile Throwable last;

  StreamThreadRestarts(Restarts restarts) {
    this.restarts = restarts;
  }

  @Override
  public StreamThreadExceptionResponse handle(Throwable failure) {
    last = failure;
    long now = System.currentTimeMillis();
    if (lastFailureMs > 0 && now - lastFailureMs > 2 * restarts.maxBackoff().toMillis()) inARow.set(0);
    lastFailureMs = now;
    int attempt = inARow.incrementAndGet();
    if (attempt > restarts.attempts()) {
      LOG.error("assembler: stream thread failed {} times in a row; shutting down: {}", attempt, failure.toString(), failure);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    long wait = restarts.backoff(attempt).toMillis();
    LOG.warn("assembler: stream thread failed ({}); replacing it in {} ms, restart {} of {}", failure, wait, attempt, restarts.attempts());
    try {
      // Back-off on the dying thread: the replacement starts only after it returns.
      Thread.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** The latest failure, or null. */
  Throwable lastFailure() {
    return last;
  }
}

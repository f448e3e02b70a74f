package dev.attune.infra.llm;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Fault injection for {@link CompletionsServer}, the one fake the scoring stage's tests use: a real
 * LLM server cannot be told to fail, stall or talk nonsense on cue. Faults queued here are applied to
 * the next requests, one per request, in order; with none queued the server answers normally.
 */
public final class EndpointFaults {
  /** What the server does instead of answering. */
  public enum Fault {
    /** HTTP 500 with an error body. */
    ERROR,
    /** Answers only after {@link #stallMs}: past a client's timeout. */
    STALL,
    /** HTTP 200 with a body that is not a completion. */
    GARBAGE
  }

  private final Queue<Fault> next = new ConcurrentLinkedQueue<>();
  private volatile long stallMs = 10_000;

  /** Queues {@code times} of {@code fault}. */
  public EndpointFaults inject(Fault fault, int times) {
    for (int i = 0; i < times; i++) next.add(fault);
    return this;
  }

  public EndpointFaults stallFor(long ms) {
    stallMs = ms;
    return this;
  }

  long stallMs() {
    return stallMs;
  }

  /** The fault for the request now being served, or null. */
  Fault take() {
    return next.poll();
  }

  /** Faults still queued. */
  public int pending() {
    return next.size();
  }
}

package dev.nodepulse.tasks.run;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Concurrency slots: at most {@code perType} runs of each target type at once; the rest wait in FIFO order.
 * Not thread-safe: used on the pipeline's event loop.
 */
final class RunQueue {
  private final int perType;
  private final Map<String, ArrayDeque<Runnable>> waiting = new HashMap<>();
  private final Map<String, Integer> inFlight = new HashMap<>();

  RunQueue(int perType) {
    this.perType = perType;
  }

  /** Runs {@code start} now if a slot of {@code type} is free (taking it), else when one is released. */
  void submit(String type, Runnable start) {
    waiting.computeIfAbsent(type, t -> new ArrayDeque<>()).add(start);
    drain(type);
  }

  /**
   * Gives a slot back and starts the next waiting run. A started runnable that decides not to run (its task
   * changed meanwhile) must call release itself.
   */
  void release(String type) {
    inFlight.merge(type, -1, Integer::sum);
    drain(type);
  }

  int inFlight(String type) {
    return inFlight.getOrDefault(type, 0);
  }

  int waiting(String type) {
    ArrayDeque<Runnable> q = waiting.get(type);
    return q == null ? 0 : q.size();
  }

  private void drain(String type) {
    ArrayDeque<Runnable> q = waiting.get(type);
    while (q != null && !q.isEmpty() && inFlight(type) < perType) {
      Runnable next = q.poll();
      inFlight.merge(type, 1, Integer::sum);
      next.run();
    }
  }
}

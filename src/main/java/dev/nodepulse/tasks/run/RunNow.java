package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.TaskStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;

/**
 * Run now (docs/tasks.md): the request ids a task has handled, so that the same id never runs twice, and the extra
 * runs waiting for the task's run in flight to end (runs of one task never overlap). Bounded: the last
 * {@link #REMEMBERED} ids and as many waiting runs. Kept in memory: an agent restart forgets them.
 */
final class RunNow {
  static final int REMEMBERED = 20;

  /** An extra run in progress: what the task's schedule was before it, restored when it ends. */
  record Extra(String requestId, Instant nextRunAt, boolean done, boolean waitsForResume, TaskStatus.Phase phase) {}

  private final LinkedHashSet<String> handled = new LinkedHashSet<>();
  private final Deque<String> waiting = new ArrayDeque<>();

  /** Takes {@code id}: false when it was handled already (nothing to do). */
  boolean accept(String id) {
    if (handled.contains(id)) {
      return false;
    }
    handled.add(id);
    if (handled.size() > REMEMBERED) {
      handled.remove(handled.iterator().next());
    }
    if (waiting.size() == REMEMBERED) {
      waiting.removeFirst(); // bounded: the oldest waiting request gives way (its id stays handled)
    }
    waiting.addLast(id);
    return true;
  }

  /** The next waiting request id, or null. */
  String next() {
    return waiting.pollFirst();
  }

  /** The schedule was replaced (a new spec): waiting requests are dropped; handled ids are kept. */
  void clearWaiting() {
    waiting.clear();
  }
}

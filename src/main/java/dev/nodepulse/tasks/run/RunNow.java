package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.RunResult;
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

  /**
   * Starts the next waiting request when nothing of the task is in progress (claim, run, retry, hold, another extra
   * run): true when {@code e.extra} is set and the caller runs it due now (after cancelling the task's timer).
   */
  static boolean start(TaskEntry e) {
    boolean idle = e.spec != null && e.extra == null && e.run == null && e.runningDue == null && e.retry == 0
        && e.held == null && (e.timerId >= 0 || e.done || e.waitsForResume || e.nextRunAt == null);
    String id = idle ? e.runNow.next() : null;
    if (id == null) {
      return false;
    }
    e.extra = new Extra(id, e.nextRunAt, e.done, e.waitsForResume, e.phase);
    e.timerId = -1;
    e.done = false;
    e.waitsForResume = false;
    return true;
  }

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

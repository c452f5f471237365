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

  /**
   * The extra run ended ({@code r}; null: another node ran it): the task is as before it, and the due time to plan is
   * returned (null: none). A recurring task's due time that passed during the extra run is skipped, as during any
   * run; a finished one-shot shows the outcome of the run.
   */
  static Instant ended(TaskEntry e, DuePlan plan, Instant now, RunResult r) {
    Extra x = e.extra;
    e.extra = null;
    e.done = x.done();
    e.waitsForResume = x.waitsForResume();
    Instant next = x.nextRunAt();
    if (x.done()) {
      e.nextRunAt = null;
      e.phase = r == null ? x.phase() : r.succeeded() ? TaskStatus.Phase.Succeeded : TaskStatus.Phase.Failed;
      return null;
    }
    if (x.waitsForResume()) {
      e.nextRunAt = next;
      e.phase = TaskStatus.Phase.Scheduled;
      return null;
    }
    if (next != null && next.isBefore(now) && !e.spec.timing().oneShot()) {
      next = plan.nextAfter(next, now);
    }
    if (next == null) { // nothing was planned, or the schedule never fires again
      e.nextRunAt = null;
      e.done = x.nextRunAt() != null;
      e.phase = x.phase();
    }
    return next;
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

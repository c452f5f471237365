package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.TaskStatus;
import java.time.Instant;

/**
 * {@code spec.suspend} (docs/tasks.md, "Pause and resume"): what a due time reached while a task is suspended
 * becomes, and how the task says so. A recurring task's due time is skipped on purpose (not missed, not run, not
 * recorded as a run; counted in its {@code Suspended} condition) and its next due time after now is planned, so that
 * on resume the next due time after now runs. A one-shot's due time is kept: it waits and runs when resumed (its
 * {@code startingDeadline} still counts from its due time). A run in flight and its retries are not touched.
 */
final class Suspension {
  private Suspension() {}

  /**
   * The task reached {@code due} while suspended: the due time to plan instead (a recurring task's next after now),
   * or null when nothing is planned: a one-shot then waits for resume ({@link TaskEntry#waitsForResume}), a recurring
   * task whose schedule never fires again is done.
   */
  static Instant reached(TaskEntry e, DuePlan plan, Instant due, Instant now) {
    if (e.skippedSince == null) {
      e.skippedSince = now;
    }
    if (e.spec.timing().oneShot()) {
      e.waitsForResume = true;
      return null;
    }
    e.skipped++;
    return plan.nextAfter(due, now);
  }

  /** {@code spec.suspend} changed: the count starts again. True when a waiting one-shot is to be planned now. */
  static boolean changed(TaskEntry e, boolean suspend) {
    e.skipped = 0;
    e.skippedSince = null;
    boolean plan = !suspend && e.waitsForResume;
    e.waitsForResume = false;
    return plan;
  }

  /** The {@code Suspended} condition of a suspended task; null when it is not suspended. */
  static TaskStatus.Condition condition(TaskEntry e) {
    if (e.spec == null || !e.spec.suspend()) {
      return null;
    }
    String message = e.waitsForResume
        ? "spec.suspend is true: the run due at " + e.nextRunAt + " waits; it runs when spec.suspend is false"
        : "spec.suspend is true: no new runs; " + e.skipped + " due time" + (e.skipped == 1 ? "" : "s")
            + " skipped on purpose" + (e.skippedSince == null ? "" : " since " + e.skippedSince);
    return new TaskStatus.Condition("Suspended", "True", "Suspended", message, e.changedAt);
  }
}

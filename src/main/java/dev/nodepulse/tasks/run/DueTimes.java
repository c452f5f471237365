package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Schedule;
import java.time.Duration;
import java.time.Instant;

/**
 * When a task is due: pure functions of the schedule, the time the task was first seen, the last due time and
 * now (the "due" step; no clock of its own).
 */
final class DueTimes {
  private DueTimes() {}

  /** The first due time: delay and every count from when the task was first seen; cron from then on. */
  static Instant first(Schedule timing, Instant firstSeen) {
    return switch (timing) {
      case Schedule.Delay d -> firstSeen.plus(d.delay());
      case Schedule.At a -> a.at();
      case Schedule.Every ev -> firstSeen.plus(ev.every());
      case Schedule.Cron c -> c.next(firstSeen).orElse(null);
    };
  }

  /**
   * The first due time of a task this agent has no state for, counted from {@code anchor} (when its object was
   * written in the cluster), so that every agent, and an agent started afresh, has the same due times: a
   * recurring task's first is the first at or after now (the occurrences before it were this agent's to miss
   * only if it had been there); a one-shot's is its own, even if past (the startingDeadline decides).
   */
  static Instant firstFromAnchor(Schedule timing, Instant anchor, Instant now) {
    Instant first = first(timing, anchor);
    if (first == null || timing.oneShot() || !first.isBefore(now)) {
      return first;
    }
    return nextAfter(timing, first, now.minusNanos(1));
  }

  /** The next occurrence of a recurring task after the one due at {@code due}, strictly after now; null: none. */
  static Instant nextAfter(Schedule timing, Instant due, Instant now) {
    return switch (timing) {
      case Schedule.Delay d -> null;
      case Schedule.At a -> null;
      case Schedule.Every ev -> {
        Instant next = due.plus(ev.every());
        if (!next.isAfter(now)) {
          long periods = Duration.between(due, now).toMillis() / ev.every().toMillis() + 1;
          next = due.plus(ev.every().multipliedBy(periods));
        }
        yield next;
      }
      case Schedule.Cron c -> c.next(now.isAfter(due) ? now : due).orElse(null);
    };
  }
}

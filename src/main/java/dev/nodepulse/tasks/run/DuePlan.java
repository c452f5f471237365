package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Schedule;
import java.time.Duration;
import java.time.Instant;

/**
 * A task's due times with its jitter ({@link Jitter}): the schedule's own due times ({@link DueTimes}) moved later by
 * {@code jitter}. Relative timings (delay, every) still count from the anchor; the rest is {@link DueTimes} applied to
 * the times without the jitter and the jitter added back, so a cron schedule keeps every occurrence whatever the
 * jitter. Pure; null means no due time.
 */
public record DuePlan(Schedule timing, Duration jitter) {

  /** The first due time, counting from {@code anchor} (when the task was first seen, or its spec written). */
  public Instant first(Instant anchor) {
    return plus(DueTimes.first(timing, anchor));
  }

  /** {@link DueTimes#firstFromAnchor} on the jittered timeline: the same due times on every agent, whenever it starts. */
  public Instant firstFromAnchor(Instant anchor, Instant now) {
    return plus(DueTimes.firstFromAnchor(timing, anchor, now.minus(jitter)));
  }

  /** {@link DueTimes#nextAfter} on the jittered timeline: the next due time after {@code due}, strictly after now. */
  public Instant nextAfter(Instant due, Instant now) {
    return plus(DueTimes.nextAfter(timing, due.minus(jitter), now.minus(jitter)));
  }

  private Instant plus(Instant t) {
    return t == null ? null : t.plus(jitter);
  }
}

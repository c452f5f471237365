package dev.nodepulse.tasks.run;

import dev.nodepulse.config.Durations;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskStatus;
import dev.nodepulse.tasks.model.TaskStatus.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One task's timeline: a pure step function (state, event, now) → (state, effects) for what happens to it: a new
 * schedule, armed at its due time, due times that passed (caught up), reached while suspended, resumed; a run started,
 * held, called, an attempt ended, its due time claimed by another node, its startingDeadline passed while it waited
 * for a slot, interrupted by a stop; a run-now run over. It alone decides the phase, the counters, the last run, the
 * retry and the next due time; {@link Scheduler} is the driver: it feeds the events, keeps the state on the task's
 * entry and carries out the effects (timers, sinks, tasks.db). Pure: no clock, no Vert.x; tested as tables
 * (TimelineTest).
 */
final class Timeline {
  private Timeline() {}

  /** What a step may change: the task's run bookkeeping, as its status shows it. */
  record State(Phase phase, Instant nextRunAt, boolean done, long runs, long attempts, int retry, Instant runningDue,
      TaskStatus.LastRun lastRun, long missed, TaskStatus.LastMissed lastMissed, String claimedBy) {

    State with(Phase p, Instant next, boolean finished) {
      return new State(p, next, finished, runs, attempts, retry, runningDue, lastRun, missed, lastMissed, claimedBy);
    }
  }

  /**
   * What a step reads and does not change: the spec and its due times with the jitter, the node, whether the task is
   * claimed in the cluster ({@code nodes: one} from a DelayedTask or a ConfigMap), whether an extra run (run now) is
   * what runs ({@code extra}: the schedule's state it interrupted; null: none), whether the next due time is planned
   * already (a timer set while the run went on: Allow, Replace),
   * whether another attempt of the task is still in flight, and the due time of the run's occurrence (null: the due
   * time itself).
   */
  record Task(TaskSpec spec, DuePlan plan, String node, boolean clusterClaimed, RunNow.Extra extra, boolean planned,
      boolean running, Instant occurrence) {}

  /** What happened. */
  sealed interface Event {
    /** A new schedule (a new spec, or its first): nothing ran of it yet; the driver set its first due time. */
    record NewSchedule() implements Event {}

    /** The declaration cannot be read: nothing runs. */
    record Invalid() implements Event {}

    /** The task is armed at its first (or restored) due time {@code due}; null: its schedule never fires. */
    record Armed(Instant due) implements Event {}

    /**
     * A due time reached while suspended ({@link Suspension#reached} counted it): {@code next} is planned instead, or
     * nothing when null (a one-shot then waits for resume when {@code waits}, a schedule that never fires is done).
     */
    record ReachedSuspended(Instant next, boolean waits) implements Event {}

    /** {@code spec.suspend} was cleared while a one-shot's due time waited: it is planned now. */
    record Resumed() implements Event {}

    /**
     * The due times from a due time to now were accounted for ({@link Catchup}): those not run are MISSED; when none
     * runs, the next is planned, or the task is finished (Failed) when the schedule has no next.
     */
    record CaughtUp(Catchup.Decision decision) implements Event {}

    /**
     * The target was called at {@code startedAt}. With a policy that lets runs overlap (Allow, Replace) the next due
     * time is planned now, while this run goes on.
     */
    record Called(Instant startedAt) implements Event {}

    /** The run's start was recorded: the target is about to be called. */
    record Started(Instant due) implements Event {}

    /** The run's start could not be recorded (tasks.db not writable): it waits, nothing is called. */
    record Held(Instant due) implements Event {}

    /** An attempt that started at {@code startedAt} ended (the driver records it in the sinks). */
    record AttemptEnded(Instant due, Instant startedAt, RunResult result) implements Event {}

    /** Another node claimed the due time: nothing runs here. */
    record Taken(Instant due, String holder) implements Event {}

    /** The slot came after the due time's startingDeadline: MISSED. */
    record DeadlinePassed(Instant due) implements Event {}

    /** At start, a run recorded as started and never recorded as ended: the agent stopped during it. */
    record Interrupted(Instant due) implements Event {}
  }

  /** What the driver does. */
  sealed interface Effect {
    /** The schedule never fires again: the driver says so in the task's Valid condition. */
    record NeverAgain() implements Effect {}

    /** The extra run (run now) is over; the one-shot it interrupted waits for resume again when {@code waits}. */
    record ExtraCleared(boolean waitsForResume) implements Effect {}

    /** Due times not run, told at once (sinks, the log). */
    record Missed(Catchup.Missed missed) implements Effect {}

    /** Plan a due time (a retry of the current occurrence when {@code retry}). */
    record Plan(Instant at, boolean retry) implements Effect {}

    /** The due times after {@code due} up to {@code until} came while the run went on (Forbid): skipped. */
    record Skip(Instant due, Instant until) implements Effect {}

    /** Record a due time that never started (MISSED, or interrupted by a stop) in every sink, {@code late} after it. */
    record Record(Instant due, Duration late, RunResult result) implements Effect {}
  }

  record Step(State state, List<Effect> effects) {}

  static Step step(State s, Task t, Event event, Instant now) {
    List<Effect> effects = new ArrayList<>();
    State next = switch (event) {
      case Event.NewSchedule e -> new State(Phase.Pending, s.nextRunAt(), false, s.runs(), s.attempts(), 0,
          s.runningDue(), s.lastRun(), s.missed(), s.lastMissed(), null);
      case Event.Invalid e -> s.with(Phase.Failed, null, s.done());
      case Event.Armed e -> armed(s, e.due(), effects);
      case Event.ReachedSuspended e -> e.next() != null ? plan(s, e.next(), effects)
          : e.waits() ? s : s.with(s.phase(), null, true);
      case Event.Resumed e -> plan(s, s.nextRunAt(), effects);
      case Event.CaughtUp e -> caughtUp(s, t, e.decision(), now, effects);
      case Event.Called e -> called(s, t, e.startedAt(), effects);
      case Event.Started e -> new State(Phase.Running, null, s.done(), s.runs(), s.attempts() + 1, s.retry(),
          t.occurrence() == null ? e.due() : t.occurrence(), s.lastRun(), s.missed(), s.lastMissed(), s.claimedBy());
      case Event.Held e -> new State(Phase.Scheduled, e.due(), s.done(), s.runs(), s.attempts() - 1, s.retry(), null,
          s.lastRun(), s.missed(), s.lastMissed(), s.claimedBy());
      case Event.AttemptEnded e -> ended(s, t, e, now, effects);
      case Event.Taken e -> taken(s, t, e, now, effects);
      case Event.DeadlinePassed e -> deadlinePassed(s, t, e.due(), now, effects);
      case Event.Interrupted e -> interrupted(s, t, e.due(), now, effects);
    };
    return new Step(next, List.copyOf(effects));
  }

  private static State ended(State s, Task t, Event.AttemptEnded e, Instant now, List<Effect> effects) {
    RunResult r = e.result();
    long took = Duration.between(e.startedAt(), now).toMillis();
    TaskStatus.LastRun last = new TaskStatus.LastRun(e.startedAt(), now, took, t.node(), r.outcome(), r.httpStatus(), r.bytes(), r.result(), r.error());
    boolean retryable = r.outcome() == RunResult.Outcome.FAILED || r.outcome() == RunResult.Outcome.TIMEOUT;
    if (retryable && s.retry() < t.spec().retry().limit()) {
      int retry = s.retry() + 1;
      Instant at = now.plus(t.spec().retry().backoff().multipliedBy(1L << (retry - 1)));
      effects.add(new Effect.Plan(at, true));
      return new State(Phase.Scheduled, at, s.done(), s.runs(), s.attempts(), retry, null, last, s.missed(),
          s.lastMissed(), s.claimedBy());
    }
    State counted = new State(s.phase(), s.nextRunAt(), s.done(), s.runs() + 1, s.attempts(), s.retry(),
        s.runningDue(), last, s.missed(), s.lastMissed(), s.claimedBy());
    return accounted(counted, t, t.occurrence() == null ? e.due() : t.occurrence(), now, r, effects);
  }

  private static State plan(State s, Instant due, List<Effect> effects) {
    effects.add(new Effect.Plan(due, false));
    return s.with(Phase.Scheduled, due, false);
  }

  /** A finished task stays finished (its phase from its last run); else its due time is planned. */
  private static State armed(State s, Instant due, List<Effect> effects) {
    if (s.done()) {
      Phase end = s.phase() == Phase.Succeeded || s.phase() == Phase.Failed ? s.phase()
          : s.lastRun() != null && s.lastRun().outcome() == RunResult.Outcome.SUCCEEDED ? Phase.Succeeded
          : Phase.Failed;
      return s.with(end, null, true);
    }
    if (due == null) {
      effects.add(new Effect.NeverAgain());
      return s.with(Phase.Failed, s.nextRunAt(), false);
    }
    return plan(s, due, effects);
  }

  /**
   * The extra run (run now) ended ({@code r}; null: another node ran it): the task is as it was before it. A recurring
   * task's due time that passed during the extra run is skipped, as during any run; a finished one-shot shows the
   * outcome of the run.
   */
  private static State extraEnded(State s, Task t, Instant now, RunResult r, List<Effect> effects) {
    RunNow.Extra x = t.extra();
    effects.add(new Effect.ExtraCleared(x.waitsForResume()));
    if (x.done()) {
      return s.with(r == null ? x.phase() : r.succeeded() ? Phase.Succeeded : Phase.Failed, null, true);
    }
    if (x.waitsForResume()) {
      return s.with(Phase.Scheduled, x.nextRunAt(), false);
    }
    Instant next = x.nextRunAt();
    if (next != null && next.isBefore(now) && !t.spec().timing().oneShot()) {
      next = t.plan().nextAfter(next, now);
    }
    if (next == null) { // nothing was planned, or the schedule never fires again
      return s.with(x.phase(), null, x.nextRunAt() != null);
    }
    return plan(s, next, effects);
  }

  private static State caughtUp(State s, Task t, Catchup.Decision d, Instant now, List<Effect> effects) {
    Catchup.Missed m = d.missed();
    State out = s;
    if (m.count() > 0) {
      effects.add(new Effect.Missed(m));
      out = new State(s.phase(), s.nextRunAt(), s.done(), s.runs(), s.attempts(), s.retry(), s.runningDue(),
          s.lastRun(), s.missed() + m.count(), new TaskStatus.LastMissed(m.from(), m.to(), m.count(), m.reason()),
          s.claimedBy());
    }
    if (d.run() != null) {
      return out;
    }
    if (d.next() == null) {
      String error = "MISSED: " + m.reason();
      return new State(Phase.Failed, null, true, out.runs(), out.attempts(), out.retry(), out.runningDue(),
          new TaskStatus.LastRun(null, now, 0, t.node(), RunResult.Outcome.MISSED, null, 0, null, error),
          out.missed(), out.lastMissed(), out.claimedBy());
    }
    effects.add(new Effect.Plan(d.next(), false));
    return out.with(Phase.Scheduled, d.next(), out.done());
  }

  private static State called(State s, Task t, Instant startedAt, List<Effect> effects) {
    if (!Overlap.plansAhead(t.spec().concurrencyPolicy()) || t.planned() || t.spec().timing().oneShot()) {
      return s;
    }
    Instant next = DueTimes.nextAfter(t.spec().timing(), s.runningDue(), startedAt);
    if (next == null) {
      return s;
    }
    effects.add(new Effect.Plan(next, false)); // the next due time may come while this run goes on (Overlap)
    return s.with(Phase.Running, next, s.done());
  }

  /** The due time is done with (run or MISSED): the next is planned, or the task is finished. */
  private static State accounted(State s, Task t, Instant due, Instant now, RunResult r, List<Effect> effects) {
    State base = new State(s.phase(), s.nextRunAt(), s.done(), s.runs(), s.attempts(), 0, null, s.lastRun(),
        s.missed(), s.lastMissed(), s.claimedBy());
    if (t.extra() != null) {
      return extraEnded(base, t, now, r, effects);
    }
    Phase outcome = r.succeeded() ? Phase.Succeeded : Phase.Failed;
    if (t.spec().timing().oneShot()) {
      return base.with(outcome, null, true);
    }
    Instant next = t.plan().nextAfter(due, now);
    if (!t.planned() && t.spec().concurrencyPolicy() == TaskSpec.ConcurrencyPolicy.Forbid && !t.clusterClaimed()) {
      effects.add(new Effect.Skip(due, next == null ? now : next.minusNanos(1))); // (a cluster's claim counts them)
    }
    if (t.planned()) { // planned when the run started (Allow, Replace)
      return base.with(t.running() ? Phase.Running : Phase.Scheduled, base.nextRunAt(), base.done());
    }
    if (next == null) {
      return base.with(outcome, base.nextRunAt(), true);
    }
    effects.add(new Effect.Plan(next, false));
    return base.with(Phase.Scheduled, next, false);
  }

  private static State taken(State s, Task t, Event.Taken e, Instant now, List<Effect> effects) {
    State held = new State(s.phase(), s.nextRunAt(), s.done(), s.runs(), s.attempts(), s.retry(), s.runningDue(),
        s.lastRun(), s.missed(), s.lastMissed(), e.holder());
    if (t.extra() != null) {
      return extraEnded(held, t, now, null, effects);
    }
    Instant next = t.plan().nextAfter(e.due(), now);
    if (next == null) {
      return held.with(Phase.Pending, null, true);
    }
    effects.add(new Effect.Plan(next, false));
    return held.with(Phase.Scheduled, next, false);
  }

  private static State deadlinePassed(State s, Task t, Instant due, Instant now, List<Effect> effects) {
    Duration late = Duration.between(due, now);
    String error = "missed: due " + due + ", " + Durations.format(late) + " late is past the startingDeadline of "
        + Durations.format(t.spec().startingDeadline());
    RunResult r = RunResult.failure(RunResult.Outcome.MISSED, error);
    effects.add(new Effect.Record(due, late, r));
    State missed = new State(s.phase(), s.nextRunAt(), s.done(), s.runs(), s.attempts(), s.retry(), s.runningDue(),
        new TaskStatus.LastRun(null, now, 0, t.node(), r.outcome(), null, 0, null, error), s.missed() + 1,
        new TaskStatus.LastMissed(due, due, 1, error), s.claimedBy());
    return accounted(missed, t, t.occurrence() == null ? due : t.occurrence(), now, r, effects); // not a run
  }

  /**
   * A run had started and was not recorded when the agent stopped: it is not run again (at most once); its outcome is
   * unknown and said so. A recurring task goes on from the next occurrence after it.
   */
  private static State interrupted(State s, Task t, Instant due, Instant now, List<Effect> effects) {
    String error = "the agent stopped during the run due at " + due + "; its outcome is unknown and it is not "
        + "repeated (runs are at most once)";
    RunResult r = RunResult.failure(RunResult.Outcome.FAILED, error);
    effects.add(new Effect.Record(due, Duration.ZERO, r));
    TaskStatus.LastRun last = new TaskStatus.LastRun(null, now, 0, t.node(), r.outcome(), null, 0, null, error);
    if (t.spec().timing().oneShot()) {
      return new State(Phase.Failed, null, true, s.runs() + 1, s.attempts(), s.retry(), null, last, s.missed(),
          s.lastMissed(), s.claimedBy());
    }
    return new State(s.phase(), t.plan().nextAfter(due, now), s.done(), s.runs() + 1, s.attempts(), s.retry(), null,
        last, s.missed(), s.lastMissed(), s.claimedBy());
  }
}

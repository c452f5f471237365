package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskStatus.Phase;
import dev.nodepulse.tasks.run.Timeline.Effect;
import dev.nodepulse.tasks.run.Timeline.Event;
import dev.nodepulse.tasks.run.Timeline.State;
import dev.nodepulse.tasks.run.Timeline.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run timeline's steps as tables on a fixed clock: a state, an event, a time → the state and the effects. */
class TimelineTest {
  static final Instant DUE = Instant.parse("2026-12-05T10:00:00Z");
  static final Instant NOW = DUE.plusSeconds(3);
  static final RunResult OK = RunResult.success(200, 2, "ok");
  static final RunResult FAILED = RunResult.failure(RunResult.Outcome.FAILED, "HTTP 503");
  static final RunResult TIMEOUT = RunResult.failure(RunResult.Outcome.TIMEOUT, "no answer in 5s");
  static final RunResult CANCELLED = RunResult.failure(RunResult.Outcome.CANCELLED, "edited");

  static TaskSpec spec(String fields) {
    try {
      return TaskReader.read("{\"metadata\": {\"name\": \"t\"}, \"spec\": {" + fields
          + ", \"target\": {\"http\": {\"url\": \"http://127.0.0.1:9/\"}}}}", TaskReader.Format.JSON).spec();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The task as a step reads it: its own node, no cluster claim, no run-now run, nothing planned or in flight. */
  static Timeline.Task task(String fields) {
    TaskSpec s = spec(fields);
    return new Timeline.Task(s, new DuePlan(s.timing(), Duration.ZERO), "node-a", false, null, false, false, null);
  }

  /** The schedule's state when a run-now run interrupted it: its due time planned at DUE + 1 h. */
  static final RunNow.Extra EXTRA = new RunNow.Extra("r1", DUE.plusSeconds(3600), false, false, Phase.Scheduled);

  static Timeline.Task with(Timeline.Task t, boolean clusterClaimed, boolean extraRun, boolean planned,
      boolean running) {
    return new Timeline.Task(t.spec(), t.plan(), t.node(), clusterClaimed, extraRun ? EXTRA : null, planned, running,
        t.occurrence());
  }

  /** A task whose run due at DUE is going on: started once, nothing counted yet. */
  static State running(int retry) {
    return new State(Phase.Running, null, false, 0, 1 + retry, retry, DUE, null, 0, null, null);
  }

  static Step ended(State s, Timeline.Task t, RunResult r) {
    return Timeline.step(s, t, new Event.AttemptEnded(DUE, NOW.minusSeconds(1), r), NOW);
  }

  @Test
  void aOneShotEndsWithItsRunsOutcome() {
    Timeline.Task once = task("\"delay\": \"10s\"");
    Step ok = ended(running(0), once, OK);
    assertThat(ok.state().phase()).isEqualTo(Phase.Succeeded);
    assertThat(ok.state().done()).isTrue();
    assertThat(ok.state().nextRunAt()).isNull();
    assertThat(ok.state().runs()).isEqualTo(1);
    assertThat(ok.state().runningDue()).isNull();
    assertThat(ok.state().lastRun().outcome()).isEqualTo(RunResult.Outcome.SUCCEEDED);
    assertThat(ok.state().lastRun().durationMs()).isEqualTo(1000);
    assertThat(ok.state().lastRun().node()).isEqualTo("node-a");
    assertThat(ok.effects()).isEmpty();

    Step failed = ended(running(0), once, FAILED);
    assertThat(failed.state().phase()).isEqualTo(Phase.Failed);
    assertThat(failed.state().done()).isTrue();
    assertThat(failed.effects()).as("no retry asked for").isEmpty();
  }

  @Test
  void aFailureOrTimeoutIsRetriedWithADoublingBackoffUntilTheLimitThenCounted() {
    Timeline.Task t = task("\"delay\": \"10s\", \"retry\": {\"limit\": 2, \"backoff\": \"5s\"}");
    Step first = ended(running(0), t, FAILED);
    assertThat(first.effects()).containsExactly(new Effect.Plan(NOW.plusSeconds(5), true));
    assertThat(first.state().retry()).isEqualTo(1);
    assertThat(first.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(first.state().nextRunAt()).isEqualTo(NOW.plusSeconds(5));
    assertThat(first.state().runs()).as("a retry is no new run").isZero();
    assertThat(first.state().done()).isFalse();

    Step second = ended(running(1), t, TIMEOUT);
    assertThat(second.effects()).containsExactly(new Effect.Plan(NOW.plusSeconds(10), true));
    assertThat(second.state().retry()).isEqualTo(2);

    Step last = ended(running(2), t, FAILED);
    assertThat(last.effects()).isEmpty();
    assertThat(last.state().retry()).isZero();
    assertThat(last.state().runs()).isEqualTo(1);
    assertThat(last.state().phase()).isEqualTo(Phase.Failed);
    assertThat(last.state().done()).isTrue();

    assertThat(ended(running(0), t, CANCELLED).effects()).as("a cancelled run is not retried").isEmpty();
  }

  @Test
  void aRecurringTaskPlansItsNextDueTimeAfterTheOneThatRan() {
    Timeline.Task every = task("\"every\": \"1m\"");
    Step s = ended(running(0), every, FAILED);
    // Forbid, the default: the due times during the run are skipped (none here), then the next is planned
    assertThat(s.effects()).containsExactly(new Effect.Skip(DUE, DUE.plusSeconds(60).minusNanos(1)),
        new Effect.Plan(DUE.plusSeconds(60), false));
    assertThat(s.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(s.state().nextRunAt()).isEqualTo(DUE.plusSeconds(60));
    assertThat(s.state().done()).isFalse();
    assertThat(s.state().runs()).isEqualTo(1);
  }

  @Test
  void aRetryCountsFromItsOccurrenceNotItsOwnDueTime() {
    Timeline.Task every = task("\"every\": \"1m\"");
    Timeline.Task retried = new Timeline.Task(every.spec(), every.plan(), "node-a", false, null, false, false,
        DUE.minusSeconds(60));
    // the occurrence due at 09:59:00 failed, its retry (due 09:59:05) succeeds at 09:59:30: next is 10:00:00
    Instant retryDue = DUE.minusSeconds(55);
    Instant now = DUE.minusSeconds(30);
    Step s = Timeline.step(running(1), retried, new Event.AttemptEnded(retryDue, retryDue, OK), now);
    assertThat(s.effects()).contains(new Effect.Plan(DUE, false));
    assertThat(s.state().nextRunAt()).isEqualTo(DUE);
  }

  @Test
  void whenTheNextDueTimeWasPlannedAsTheRunStartedItIsKept() {
    Timeline.Task allow = with(task("\"every\": \"1m\", \"concurrencyPolicy\": \"Allow\""), false, false, true, false);
    State before = new State(Phase.Running, DUE.plusSeconds(60), false, 0, 1, 0, DUE, null, 0, null, null);
    Step s = ended(before, allow, OK);
    assertThat(s.effects()).isEmpty();
    assertThat(s.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(s.state().nextRunAt()).isEqualTo(DUE.plusSeconds(60));

    Step stillRunning = ended(before, with(allow, false, false, true, true), OK);
    assertThat(stillRunning.state().phase()).as("another run of the task goes on").isEqualTo(Phase.Running);
  }

  @Test
  void forbidSkipsTheDueTimesThatCameWhileItRanUnlessTheClusterCountsThem() {
    Timeline.Task forbid = task("\"every\": \"1s\", \"concurrencyPolicy\": \"Forbid\"");
    Step s = ended(running(0), forbid, OK);
    Instant next = DUE.plusSeconds(4); // the first after now (10:00:03)
    assertThat(s.effects()).containsExactly(new Effect.Skip(DUE, next.minusNanos(1)), new Effect.Plan(next, false));

    Step cluster = ended(running(0), with(forbid, true, false, false, false), OK);
    assertThat(cluster.effects()).containsExactly(new Effect.Plan(next, false));
  }

  @Test
  void anExtraRunHandsBackToTheScheduleItInterrupted() {
    Timeline.Task extra = with(task("\"every\": \"1h\""), false, true, false, false);
    State before = new State(Phase.Running, null, false, 3, 4, 0, DUE, null, 0, null, null);
    Step s = ended(before, extra, OK);
    assertThat(s.effects()).containsExactly(new Effect.ExtraCleared(false), new Effect.Plan(EXTRA.nextRunAt(), false));
    assertThat(s.state().runs()).isEqualTo(4);
    assertThat(s.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(s.state().nextRunAt()).as("the due time it interrupted").isEqualTo(EXTRA.nextRunAt());

    Step passed = Timeline.step(before, extra, new Event.AttemptEnded(DUE, DUE, OK), DUE.plusSeconds(3601));
    assertThat(passed.state().nextRunAt()).as("the one that passed during it is skipped")
        .isEqualTo(DUE.plusSeconds(7200));

    Timeline.Task finished = new Timeline.Task(extra.spec(), extra.plan(), "node-a", false,
        new RunNow.Extra("r2", null, true, false, Phase.Succeeded), false, false, null);
    Step again = ended(before, finished, FAILED);
    assertThat(again.state().phase()).as("a finished task shows the extra run's outcome").isEqualTo(Phase.Failed);
    assertThat(again.state().done()).isTrue();
    assertThat(again.effects()).containsExactly(new Effect.ExtraCleared(false));
  }

  @Test
  void aDueTimeAnotherNodeClaimedRunsNothingHere() {
    Timeline.Task every = task("\"every\": \"1m\"");
    State before = new State(Phase.Scheduled, DUE, false, 2, 2, 0, null, null, 0, null, null);
    Step s = Timeline.step(before, every, new Event.Taken(DUE, "node-b"), NOW);
    assertThat(s.state().claimedBy()).isEqualTo("node-b");
    assertThat(s.state().runs()).isEqualTo(2);
    assertThat(s.effects()).containsExactly(new Effect.Plan(DUE.plusSeconds(60), false));

    Step once = Timeline.step(before, task("\"delay\": \"1m\""), new Event.Taken(DUE, "node-b"), NOW);
    assertThat(once.state().phase()).as("its outcome is the other node's").isEqualTo(Phase.Pending);
    assertThat(once.state().done()).isTrue();
    assertThat(once.effects()).isEmpty();

    Step extra = Timeline.step(before, with(every, true, true, false, false), new Event.Taken(DUE, "node-b"), NOW);
    assertThat(extra.effects()).containsExactly(new Effect.ExtraCleared(false),
        new Effect.Plan(EXTRA.nextRunAt(), false));
  }

  @Test
  void aSlotPastTheStartingDeadlineIsMissedNotARun() {
    Timeline.Task t = task("\"every\": \"1m\", \"startingDeadline\": \"2s\"");
    State waiting = new State(Phase.Scheduled, null, false, 5, 5, 0, null, null, 1, null, null);
    Step s = Timeline.step(waiting, t, new Event.DeadlinePassed(DUE), NOW);
    assertThat(s.state().runs()).isEqualTo(5);
    assertThat(s.state().missed()).isEqualTo(2);
    assertThat(s.state().lastMissed().from()).isEqualTo(DUE);
    assertThat(s.state().lastMissed().count()).isEqualTo(1);
    assertThat(s.state().lastRun().outcome()).isEqualTo(RunResult.Outcome.MISSED);
    assertThat(s.state().lastRun().error()).contains("3s late", "startingDeadline of 2s");
    assertThat(s.effects()).hasSize(3);
    assertThat(s.effects().get(0)).isInstanceOfSatisfying(Effect.Record.class, r -> {
      assertThat(r.due()).isEqualTo(DUE);
      assertThat(r.late()).isEqualTo(Duration.ofSeconds(3));
      assertThat(r.result().outcome()).isEqualTo(RunResult.Outcome.MISSED);
    });
    assertThat(s.effects().get(2)).isEqualTo(new Effect.Plan(DUE.plusSeconds(60), false));

    Step once = Timeline.step(waiting, task("\"delay\": \"1m\", \"startingDeadline\": \"2s\""),
        new Event.DeadlinePassed(DUE), NOW);
    assertThat(once.state().phase()).isEqualTo(Phase.Failed);
    assertThat(once.state().done()).isTrue();
  }

  @Test
  void aRunInterruptedByAStopIsNotRepeatedItsOutcomeUnknown() {
    State restored = new State(Phase.Running, null, false, 7, 8, 0, DUE, null, 0, null, null);
    Step once = Timeline.step(restored, task("\"delay\": \"1m\""), new Event.Interrupted(DUE), NOW);
    assertThat(once.state().phase()).isEqualTo(Phase.Failed);
    assertThat(once.state().done()).isTrue();
    assertThat(once.state().runs()).isEqualTo(8);
    assertThat(once.state().runningDue()).isNull();
    assertThat(once.state().lastRun().error()).contains("outcome is unknown", "not repeated");
    assertThat(once.effects()).singleElement().isInstanceOf(Effect.Record.class);

    Step every = Timeline.step(restored, task("\"every\": \"1m\""), new Event.Interrupted(DUE), NOW);
    assertThat(every.state().done()).isFalse();
    assertThat(every.state().nextRunAt()).isEqualTo(DUE.plusSeconds(60));
    assertThat(every.effects()).as("planned when the task is armed").singleElement().isInstanceOf(Effect.Record.class);
  }

  @Test
  void aStartIsAnAttemptOfItsOccurrenceAndAHeldStartIsGivenBack() {
    Timeline.Task t = task("\"every\": \"1m\", \"retry\": {\"limit\": 1, \"backoff\": \"1s\"}");
    State planned = new State(Phase.Scheduled, DUE, false, 1, 1, 0, null, null, 0, null, null);
    Step started = Timeline.step(planned, t, new Event.Started(DUE), NOW);
    assertThat(started.state().phase()).isEqualTo(Phase.Running);
    assertThat(started.state().attempts()).isEqualTo(2);
    assertThat(started.state().nextRunAt()).isNull();
    assertThat(started.state().runningDue()).isEqualTo(DUE);

    Timeline.Task retry = new Timeline.Task(t.spec(), t.plan(), "node-a", false, null, false, false,
        DUE.minusSeconds(60));
    assertThat(Timeline.step(planned, retry, new Event.Started(DUE), NOW).state().runningDue())
        .as("a retry runs for its occurrence").isEqualTo(DUE.minusSeconds(60));

    Step held = Timeline.step(started.state(), t, new Event.Held(DUE), NOW);
    assertThat(held.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(held.state().attempts()).isEqualTo(1);
    assertThat(held.state().nextRunAt()).isEqualTo(DUE);
    assertThat(held.state().runningDue()).isNull();
    assertThat(held.effects()).isEqualTo(List.of());
  }

  @Test
  void dueTimesThatPassedAreMissedAtOnceAndTheNextPlannedOrTheTaskFailed() {
    Timeline.Task every = task("\"every\": \"1m\"");
    State planned = new State(Phase.Scheduled, DUE, false, 2, 2, 0, null, null, 1, null, null);
    Catchup.Missed three = new Catchup.Missed(3, DUE, DUE.plusSeconds(120), List.of(DUE), "the agent was not running");
    Step skip = Timeline.step(planned, every, new Event.CaughtUp(new Catchup.Decision(null, three,
        DUE.plusSeconds(180))), NOW);
    assertThat(skip.state().missed()).isEqualTo(4);
    assertThat(skip.state().lastMissed().count()).isEqualTo(3);
    assertThat(skip.state().lastMissed().to()).isEqualTo(DUE.plusSeconds(120));
    assertThat(skip.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(skip.state().nextRunAt()).isEqualTo(DUE.plusSeconds(180));
    assertThat(skip.effects()).containsExactly(new Effect.Missed(three), new Effect.Plan(DUE.plusSeconds(180), false));

    Step runLatest = Timeline.step(planned, every, new Event.CaughtUp(new Catchup.Decision(DUE.plusSeconds(120),
        three, null)), NOW);
    assertThat(runLatest.state().phase()).as("the run that goes on decides").isEqualTo(Phase.Scheduled);
    assertThat(runLatest.effects()).containsExactly(new Effect.Missed(three));

    Catchup.Missed once = new Catchup.Missed(1, DUE, DUE, List.of(DUE), "the agent was not running");
    Step gone = Timeline.step(planned, task("\"delay\": \"1m\""), new Event.CaughtUp(new Catchup.Decision(null,
        once, null)), NOW);
    assertThat(gone.state().phase()).isEqualTo(Phase.Failed);
    assertThat(gone.state().done()).isTrue();
    assertThat(gone.state().nextRunAt()).isNull();
    assertThat(gone.state().lastRun().outcome()).isEqualTo(RunResult.Outcome.MISSED);
    assertThat(gone.state().lastRun().error()).isEqualTo("MISSED: the agent was not running");

    Step nothing = Timeline.step(planned, every, new Event.CaughtUp(new Catchup.Decision(DUE, Catchup.Missed.NONE,
        null)), NOW);
    assertThat(nothing.state()).isEqualTo(planned);
    assertThat(nothing.effects()).isEmpty();
  }

  @Test
  void allowAndReplacePlanTheNextDueTimeWhenTheTargetIsCalledForbidWaits() {
    State started = new State(Phase.Running, null, false, 0, 1, 0, DUE, null, 0, null, null);
    Step allow = Timeline.step(started, task("\"every\": \"1m\", \"concurrencyPolicy\": \"Allow\""),
        new Event.Called(NOW), NOW);
    assertThat(allow.effects()).containsExactly(new Effect.Plan(DUE.plusSeconds(60), false));
    assertThat(allow.state().phase()).as("running, and the next planned").isEqualTo(Phase.Running);
    assertThat(allow.state().nextRunAt()).isEqualTo(DUE.plusSeconds(60));

    Step replace = Timeline.step(started, task("\"every\": \"1m\", \"concurrencyPolicy\": \"Replace\""),
        new Event.Called(NOW), NOW);
    assertThat(replace.effects()).containsExactly(new Effect.Plan(DUE.plusSeconds(60), false));

    assertThat(Timeline.step(started, task("\"every\": \"1m\""), new Event.Called(NOW), NOW).effects())
        .as("Forbid: the next is planned when the run ends").isEmpty();
    assertThat(Timeline.step(started, task("\"delay\": \"1m\", \"concurrencyPolicy\": \"Allow\""),
        new Event.Called(NOW), NOW).effects()).as("a one-shot has no next").isEmpty();
    Timeline.Task planned = with(task("\"every\": \"1m\", \"concurrencyPolicy\": \"Allow\""), false, false,
        true, true);
    assertThat(Timeline.step(started, planned, new Event.Called(NOW), NOW).effects()).as("planned already").isEmpty();
  }

  @Test
  void aNewScheduleIsPendingThenArmedAtItsDueTimeAFinishedTaskStaysFinished() {
    Timeline.Task every = task("\"every\": \"1m\"");
    State old = new State(Phase.Failed, DUE, true, 3, 4, 1, null, null, 0, null, "node-b");
    Step fresh = Timeline.step(old, every, new Event.NewSchedule(), NOW);
    assertThat(fresh.state().phase()).isEqualTo(Phase.Pending);
    assertThat(fresh.state().done()).isFalse();
    assertThat(fresh.state().claimedBy()).isNull();
    assertThat(fresh.state().runs()).as("history is kept").isEqualTo(3);

    Step armed = Timeline.step(fresh.state(), every, new Event.Armed(DUE.plusSeconds(60)), NOW);
    assertThat(armed.state().phase()).isEqualTo(Phase.Scheduled);
    assertThat(armed.effects()).containsExactly(new Effect.Plan(DUE.plusSeconds(60), false));

    Step never = Timeline.step(fresh.state(), every, new Event.Armed(null), NOW);
    assertThat(never.state().phase()).isEqualTo(Phase.Failed);
    assertThat(never.effects()).containsExactly(new Effect.NeverAgain());

    State doneRunning = new State(Phase.Running, DUE, true, 1, 1, 0, null, new dev.nodepulse.tasks.model.TaskStatus
        .LastRun(DUE, NOW, 1, "node-a", RunResult.Outcome.SUCCEEDED, 200, 0, null, null), 0, null, null);
    Step restored = Timeline.step(doneRunning, every, new Event.Armed(null), NOW);
    assertThat(restored.state().phase()).as("from its last run").isEqualTo(Phase.Succeeded);
    assertThat(restored.state().nextRunAt()).isNull();
    assertThat(restored.effects()).isEmpty();

    assertThat(Timeline.step(armed.state(), every, new Event.Invalid(), NOW).state())
        .satisfies(s -> assertThat(s.phase()).isEqualTo(Phase.Failed), s -> assertThat(s.nextRunAt()).isNull());
  }

  @Test
  void whileSuspendedARecurringTaskPlansItsNextAOneShotWaitsAndRunsOnResume() {
    State planned = new State(Phase.Scheduled, DUE, false, 0, 0, 0, null, null, 0, null, null);
    Step recurring = Timeline.step(planned, task("\"every\": \"1m\""),
        new Event.ReachedSuspended(DUE.plusSeconds(60), false), NOW);
    assertThat(recurring.effects()).containsExactly(new Effect.Plan(DUE.plusSeconds(60), false));
    assertThat(recurring.state().nextRunAt()).isEqualTo(DUE.plusSeconds(60));

    Timeline.Task once = task("\"delay\": \"1m\"");
    Step waits = Timeline.step(planned, once, new Event.ReachedSuspended(null, true), NOW);
    assertThat(waits.state()).as("its due time kept").isEqualTo(planned);
    assertThat(waits.effects()).isEmpty();
    Step resumed = Timeline.step(waits.state(), once, new Event.Resumed(), NOW);
    assertThat(resumed.effects()).containsExactly(new Effect.Plan(DUE, false));

    Step over = Timeline.step(planned, task("\"every\": \"1m\""), new Event.ReachedSuspended(null, false), NOW);
    assertThat(over.state().done()).as("a schedule that never fires again").isTrue();
    assertThat(over.state().nextRunAt()).isNull();
  }
}

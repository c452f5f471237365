package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.TaskMetadata;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** One task in the table. Mutable; touched only on the pipeline's event loop. */
final class TaskEntry {
  final String key;
  Origin origin;
  TaskMetadata metadata;
  TaskSpec spec; // null: the declaration could not be read
  String invalid; // why, naming the file and the field
  String specHash;
  long generation;
  Instant firstSeen;
  Instant nextRunAt;
  TaskStatus.Phase phase = TaskStatus.Phase.Pending;
  long runs;
  long attempts;
  TaskStatus.LastRun lastRun;
  Progress progress;
  boolean done;
  String claimedBy;
  Instant changedAt;
  /** The due time of a run that has started and is not yet recorded (persisted before the target is called). */
  Instant runningDue;
  /** Why a due run waits for tasks.db to be writable (its start cannot be recorded), or null. */
  String held;

  /** Due times not run (MISSED), and the latest burst of them. */
  long missed;
  TaskStatus.LastMissed lastMissed;
  /** Due times passed over while a run went on (concurrencyPolicy Forbid), and the latest burst of them. */
  long overlapSkipped;
  TaskStatus.LastMissed lastOverlapSkipped;
  /** Due times skipped while suspended, since when ({@link Suspension}); a one-shot's due time waiting for resume. */
  long skipped;
  Instant skippedSince;
  boolean waitsForResume;
  /** Run-now request ids handled and waiting; the extra run in progress, or null ({@link RunNow}). */
  final RunNow runNow = new RunNow();
  RunNow.Extra extra;

  /** Bumped whenever the schedule is reset or the task removed: timers and queued runs of an older epoch are stale. */
  int epoch;
  long timerId = -1;
  /** The timer that deletes the finished task at its spec.ttlAfterFinished ({@link Expiry}), or -1. */
  long expiryTimer = -1;
  int retry;
  /** The due time of the current run's occurrence (its retries keep it): the next occurrence counts from it. */
  Instant occurrence;
  GuardedRun run;

  TaskEntry(String key) {
    this.key = key;
  }

  boolean running() {
    return run != null;
  }

  /** The run bookkeeping that {@link Timeline} steps. */
  Timeline.State state() {
    return new Timeline.State(phase, nextRunAt, done, runs, attempts, retry, runningDue, lastRun, missed, lastMissed,
        claimedBy);
  }

  void set(Timeline.State s) {
    phase = s.phase();
    nextRunAt = s.nextRunAt();
    done = s.done();
    runs = s.runs();
    attempts = s.attempts();
    retry = s.retry();
    runningDue = s.runningDue();
    lastRun = s.lastRun();
    missed = s.missed();
    lastMissed = s.lastMissed();
    claimedBy = s.claimedBy();
  }

  TaskStatus status(String node) {
    List<TaskStatus.Condition> conditions = new ArrayList<>();
    if (invalid != null) {
      conditions.add(new TaskStatus.Condition("Valid", "False", "InvalidSpec", invalid, changedAt));
    }
    if (held != null) {
      conditions.add(new TaskStatus.Condition("Held", "True", "StateNotWritable", held, changedAt));
    }
    TaskStatus.Condition suspended = Suspension.condition(this);
    if (suspended != null) {
      conditions.add(suspended);
    }
    List<TaskStatus.NodeStatus> nodes = spec != null && spec.nodes() == TaskSpec.Nodes.ALL
        ? List.of(new TaskStatus.NodeStatus(node, phase, lastRun)) : List.of();
    List<Instant> next = nextRuns(node);
    Instant nextAt = nextRunAt != null ? nextRunAt : next.isEmpty() ? null : next.getFirst();
    return new TaskStatus(phase, nextAt, runs, attempts, claimedBy, spec == null ? 0 : generation, conditions,
        lastRun, progress, nodes, next, missed, lastMissed, overlapSkipped,
        lastOverlapSkipped);
  }

  /** This task's due times with its jitter on {@code node}. */
  DuePlan plan(String node) {
    return new DuePlan(spec.timing(), Jitter.of(spec, key, node));
  }

  /**
   * The next due times ({@link Preview}): from the planned one; while an occurrence runs or waits for a retry (whose
   * time nextRunAt is), from the occurrence after it.
   */
  private List<Instant> nextRuns(String node) {
    if (spec == null || done) {
      return List.of();
    }
    DuePlan plan = plan(node);
    Instant current = runningDue != null ? runningDue : retry > 0 ? occurrence : null;
    return current != null ? Preview.after(plan, current, current) : Preview.from(plan, nextRunAt);
  }

  DelayedTask task(String node) {
    return new DelayedTask(metadata.withGeneration(generation), spec, status(node));
  }
}

package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The next due times of a task ({@code status.nextRuns}, {@code status.nextRunAt} the first of them): pure functions
 * of the spec, the task's identity and node (its {@link Jitter}), an anchor or the planned due time, and now. Due
 * times are occurrences: a retry of one is not another.
 */
public final class Preview {
  /** How many due times a preview lists. */
  public static final int COUNT = 5;

  private Preview() {}

  /**
   * The due times of a task anchored at {@code anchor} (first seen, its spec written; a dry run: now): the first
   * one, or for a recurring task whose first due time has passed, the first after now; then those after it.
   */
  public static List<Instant> of(TaskSpec spec, String key, String node, Instant anchor, Instant now) {
    return of(new DuePlan(spec.timing(), Jitter.of(spec, key, node)), anchor, now);
  }

  /** {@link #of(TaskSpec, String, String, Instant, Instant)} for a plan of due times (the cluster's: shared jitter). */
  public static List<Instant> of(DuePlan plan, Instant anchor, Instant now) {
    Instant first = plan.first(anchor);
    if (first != null && !plan.timing().oneShot() && first.isBefore(now)) {
      first = plan.nextAfter(first, now);
    }
    return from(plan, first);
  }

  /** {@code next} (a planned due time; null: none) and the due times after it, at most {@link #COUNT}. */
  public static List<Instant> from(DuePlan plan, Instant next) {
    List<Instant> out = new ArrayList<>(COUNT);
    for (Instant t = next; t != null && out.size() < COUNT; t = plan.nextAfter(t, t)) {
      out.add(t);
    }
    return List.copyOf(out);
  }

  /** The due times after {@code due} (an occurrence that has run or is running), strictly after {@code now}. */
  public static List<Instant> after(DuePlan plan, Instant due, Instant now) {
    return from(plan, plan.nextAfter(due, now));
  }

  /**
   * A dry run ({@code POST /api/v1/tasks?dryRun=All}): {@code task} as declaring it now would make it. {@code before}:
   * the status of the task of that name (null: none); {@code same}: its spec is unchanged, so it keeps its schedule.
   * Otherwise the schedule starts now, as on a real declaration; counters and the last run are kept.
   */
  public static DelayedTask dryRun(DelayedTask task, TaskStatus before, boolean same, long generation, Instant now,
      String node) {
    var metadata = task.metadata().withGeneration(generation);
    if (same) {
      return new DelayedTask(metadata, task.spec(), before);
    }
    List<Instant> next = of(task.spec(), task.key(), node, now, now);
    TaskStatus.Phase phase = next.isEmpty() ? TaskStatus.Phase.Pending : TaskStatus.Phase.Scheduled;
    TaskStatus.LastRun last = before == null ? null : before.lastRun();
    List<TaskStatus.NodeStatus> nodes = task.spec().nodes() == TaskSpec.Nodes.ALL
        ? List.of(new TaskStatus.NodeStatus(node, phase, last)) : List.of();
    return new DelayedTask(metadata, task.spec(), new TaskStatus(phase, next.isEmpty() ? null : next.getFirst(),
        before == null ? 0 : before.runs(), before == null ? 0 : before.attempts(), null, generation, List.of(), last,
        null, nodes, next, before == null ? 0 : before.missed(), before == null ? null : before.lastMissed(),
        before == null ? 0 : before.skipped(), before == null ? null : before.lastSkipped()));
  }
}

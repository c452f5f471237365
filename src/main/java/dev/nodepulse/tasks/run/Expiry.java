package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.TaskStatus.Phase;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code spec.ttlAfterFinished} (docs/tasks.md, "Deleting finished tasks"): when a finished one-shot is deleted. A
 * task is finished when its phase is Succeeded or Failed with every retry done (the caller passes another phase while
 * a retry is pending) and it has a finish time; it is deleted once {@code ttl} has passed since then. A pure function
 * of its arguments: the scheduler and the Kubernetes side ({@code kube.FinishedTasks}) both ask it.
 */
public final class Expiry {
  private Expiry() {}

  /** What to do with the task: delete it now, at {@code at}, or never (not finished, or no ttl). */
  public record Decision(Kind kind, Instant at) {
    public enum Kind { NOW, AT, NEVER }

    static final Decision NEVER = new Decision(Kind.NEVER, null);
    static final Decision NOW = new Decision(Kind.NOW, null);
  }

  /** {@code ttl} null: the task is kept. */
  public static Decision decide(Phase phase, Instant finishedAt, Duration ttl, Instant now) {
    if (ttl == null || finishedAt == null || (phase != Phase.Succeeded && phase != Phase.Failed)) {
      return Decision.NEVER;
    }
    Instant at = finishedAt.plus(ttl);
    return at.isAfter(now) ? new Decision(Decision.Kind.AT, at) : Decision.NOW;
  }
}

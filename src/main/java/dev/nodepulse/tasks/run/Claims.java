package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskSpec;
import io.vertx.core.Future;
import java.time.Instant;

/**
 * The claim step: before a due run takes a concurrency slot, this node asks whether it may run that
 * occurrence. Standalone every claim is granted ({@link #local}). In a cluster a Lease-based implementation
 * answers: {@code nodes: one} — one agent claims the occurrence (a conditional status write keyed by the task
 * and the due time), the others learn it is taken; {@code nodes: all} — every node whose selector matches runs.
 *
 * <p>Called on the pipeline's event loop; the answer may come later (a write to the API server). The future
 * never fails: a claim that cannot be decided is {@link Claim.Taken} with the reason.
 */
public interface Claims {

  /**
   * One occurrence of a task that wants to run here. {@code generation} is the spec's generation; {@code runNow} the
   * request id of an extra run ({@link RunNow}; the claim is keyed by it, not by the due time), null for a due run.
   */
  record Request(String namespace, String name, Origin origin, long generation, TaskSpec.Nodes nodes,
      Instant dueAt, String node, String runNow) {
    public String key() {
      return namespace + "/" + name;
    }
  }

  /** The answer. */
  sealed interface Claim permits Claim.Granted, Claim.Taken {
    /**
     * This node runs the occurrence; {@code holder} is shown as {@code status.claimedBy}. {@code previous}: the due
     * time (on this agent's timeline) of the task's claim before this one in the cluster's record, or null (none,
     * or the claims are this agent's own): the due times between the two were claimed by nobody, and this claim
     * accounts for them. {@code previousEnded}: with concurrencyPolicy Forbid, when that previous run ended (null:
     * not known, or not Forbid): the due times that came while it went on were skipped on purpose, not MISSED.
     */
    record Granted(String holder, Instant previous, Instant previousEnded) implements Claim {
      public Granted(String holder) {
        this(holder, null, null);
      }
    }

    /** Another node runs it (or it cannot be decided now): this node skips the occurrence. */
    record Taken(String holder, String reason) implements Claim {}
  }

  Future<Claim> claim(Request request);

  /** Standalone: this agent is the only one, every claim is granted to its node. */
  static Claims local() {
    return request -> Future.succeededFuture(new Claim.Granted(request.node()));
  }
}

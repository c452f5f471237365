package dev.nodepulse.kube.rules;

import dev.nodepulse.tasks.model.RunRequest;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/**
 * Run now from kubectl (docs/tasks.md): what the annotation {@code nodepulse.dev/run-now} asks of an agent, and who
 * runs a {@code nodes: one} request, as pure functions of what every agent sees alike (the annotation, the task's
 * status, the agents' Leases, the time). A request is keyed by the task and its request id, so every agent ranks the
 * same candidate ({@link Rendezvous}); only the candidate writes the claim (a conditional status write of
 * {@code status.lastRunNow}, {@code claimedFor} and {@code claimedBy}), and a request id found in
 * {@code status.lastRunNow} has run: it never runs again, also after an agent restarts.
 */
public final class RunNowRule {
  public static final String ANNOTATION = "nodepulse.dev/run-now";
  public static final String FIELD = "metadata.annotations[" + ANNOTATION + "]";

  private RunNowRule() {}

  /** What the annotation asks. */
  public sealed interface Ask permits Nothing, Run, Bad {}

  /** No annotation, or its request id was handled. */
  public record Nothing() implements Ask {}

  /** One extra run for {@code requestId}. */
  public record Run(String requestId) implements Ask {}

  /** The value is not a request id: {@code message} names the annotation and the value. */
  public record Bad(String message) implements Ask {}

  /**
   * The annotation's {@code value} (null: none) against the request id handled ({@code status.lastRunNow.requestId}
   * for {@code nodes: one}; this node's {@code status.nodes[].lastRunNow.requestId} for {@code nodes: all}).
   */
  public static Ask ask(String value, String handled) {
    if (value == null) {
      return new Nothing();
    }
    String problem = RunRequest.problem(FIELD, value);
    if (problem != null) {
      return new Bad(problem);
    }
    return value.equals(handled) ? new Nothing() : new Run(value);
  }

  /** The rendezvous key of one request: the task and the request id (a due run's is the task and its due time). */
  public static String runKey(String taskKey, String requestId) {
    return taskKey + "#run-now/" + requestId;
  }

  /**
   * Decides for one {@code nodes: one} request: the members matching the selector claim it in a cascade, as a due
   * run ({@link ClaimRule}), after any run of the task another live agent holds.
   *
   * @param self this agent's node
   * @param taskKey the task's {@code namespace/name}
   * @param requestId the request
   * @param handled {@code status.lastRunNow.requestId} (null: none)
   * @param shared the task's claim facts ({@code claimedFor}, {@code claimedBy}, the last finished due time)
   * @param members every agent Lease known
   * @param selector the task's nodeSelector
   * @param timing this agent's cascade (from when it first saw the request)
   * @param now the time
   */
  public static ClaimRule.Decision decide(String self, String taskKey, String requestId, String handled,
      ClaimRule.Shared shared, Collection<AgentLease> members, Map<String, String> selector, ClaimRule.Timing timing,
      Instant now) {
    if (requestId.equals(handled)) {
      return new ClaimRule.Taken("request " + requestId + " was run");
    }
    if (inFlight(shared) && !self.equals(shared.claimedBy())) {
      // runs of one task never overlap: a due run claimed by another live agent ends first
      Instant until = ClaimRule.holderLiveUntil(shared, members, timing);
      if (until != null && now.isBefore(until)) {
        return new ClaimRule.Wait(shared.claimedBy(), until);
      }
    }
    return ClaimRule.cascade(self, runKey(taskKey, requestId), members, selector, timing, now, ClaimRule.Claim::new);
  }

  /**
   * The extra run's due time, written as {@code claimedFor} and then {@code lastRun.dueAt}: now, but always after the
   * due times claimed and finished before, so that it is the task's latest run and a claim never goes back.
   */
  public static Instant at(Instant now, ClaimRule.Shared shared) {
    Instant at = now;
    for (Instant before : new Instant[] {shared.claimedFor(), shared.finishedFor()}) {
      if (before != null && !at.isAfter(before)) {
        at = before.plusMillis(1);
      }
    }
    return at;
  }

  /** A due run is claimed and has not finished. */
  private static boolean inFlight(ClaimRule.Shared s) {
    return s.claimedFor() != null && (s.finishedFor() == null || s.finishedFor().isBefore(s.claimedFor()));
  }
}

package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;

/**
 * A DelayedTask's {@code status}, as docs/tasks.md names it. Nullable fields are left out of the JSON.
 * {@code nextRuns}: the next due times (at most five, jitter included), empty when none is planned. {@code skipped}:
 * due times passed over on purpose while a run of the task went on (concurrencyPolicy Forbid), the latest burst
 * of them in {@code lastSkipped}; runs + missed + skipped counts every due time.
 */
@JsonPropertyOrder({"phase", "nextRunAt", "nextRuns"})
public record TaskStatus(Phase phase, Instant nextRunAt, long runs, long attempts, String claimedBy,
    long observedGeneration, List<Condition> conditions, LastRun lastRun, Progress progress,
    @JsonInclude(Include.NON_EMPTY) List<NodeStatus> nodes, @JsonInclude(Include.NON_EMPTY) List<Instant> nextRuns,
    @JsonInclude(Include.NON_DEFAULT) long missed, LastMissed lastMissed,
    @JsonInclude(Include.NON_DEFAULT) long skipped, LastMissed lastSkipped) {

  public TaskStatus {
    conditions = List.copyOf(conditions);
    nodes = List.copyOf(nodes);
    nextRuns = List.copyOf(nextRuns);
  }

  public enum Phase { Pending, Scheduled, Running, Succeeded, Failed }

  /** A Kubernetes-style condition; {@code status} is "True" or "False". */
  public record Condition(String type, String status, String reason, String message, Instant lastTransitionTime) {}

  /** The last finished attempt. */
  public record LastRun(Instant startedAt, Instant finishedAt, long durationMs, String node, RunResult.Outcome outcome,
      Integer httpStatus, long bytes, String result, String error) {}

  /**
   * The latest burst of due times that were not run: {@code count} of them from {@code from} to {@code to}, and why
   * (docs/tasks.md "Due times that passed").
   */
  @JsonInclude(Include.ALWAYS)
  public record LastMissed(Instant from, Instant to, long count, String reason) {}

  /** One node's view of a {@code nodes: all} task. */
  public record NodeStatus(String node, Phase phase, LastRun lastRun) {}

  public static TaskStatus pending() {
    return new TaskStatus(Phase.Pending, null, 0, 0, null, 0, List.of(), null, null, List.of(), List.of(), 0, null, 0, null);
  }
}

package dev.nodepulse.kube.crd;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import java.util.List;

/**
 * A DelayedTask's {@code status} on the wire, written by the agents through the status subresource. It stays
 * small: the full output and run history stay on the agent that ran it (its REST API).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("Written by the agents (status subresource): phase, next run, counters, the latest run "
    + "and its claim, conditions.")
@SchemaCustomizer(value = ListMaps.class, input = "conditions=type,nodes=node")
public class Status {
  @JsonPropertyDescription("Pending, Scheduled, Running, Succeeded or Failed.") public Phase phase;

  @JsonPropertyDescription("The timing in words: delay 30s, at <time>, every 5m, or the cron expression.")
  public String schedule;

  @JsonPropertyDescription("When the next run is due (RFC 3339): the first of nextRuns.") public String nextRunAt;

  @JsonPropertyDescription("The next due times (RFC 3339, at most five, jitter included; for nodes: all the start "
      + "of each node's spread, a node's own in nodes[].nextRunAt).")
  @io.fabric8.generator.annotation.Size(max = 5)
  public List<String> nextRuns;

  @JsonPropertyDescription("Runs so far (a run is one due time; retries are attempts of it); nodes: all: "
      + "the sum over the nodes.") public Long runs;

  @JsonPropertyDescription("Attempts so far, retries included; nodes: all: the sum over the nodes.")
  public Long attempts;

  @JsonPropertyDescription("The node whose agent claimed the latest run (nodes: all: the node of the latest run).")
  public String claimedBy;

  @JsonPropertyDescription("The due time of the run claimedBy claimed: a claim is keyed by the task and its due "
  + "time, so another agent learns that this run is taken.") public String claimedFor;

  @JsonPropertyDescription("When claimedBy wrote its claim (RFC 3339): its agent counts as live for one lease duration "
      + "after it, or after its Lease's latest renewal.") public String claimedAt;

  @JsonPropertyDescription("The spec generation this status describes.") public Long observedGeneration;

  @JsonPropertyDescription("Ready (the spec is valid and accepted), Scheduled (a next run is planned), Failed "
  + "(the last run failed), each with reason and message.") public List<Condition> conditions;

  @JsonPropertyDescription("The latest finished attempt (nodes: all: the latest of the nodes').")
  public LastRun lastRun;

  @JsonPropertyDescription("A running computation's progress.") public Progress progress;

  @JsonPropertyDescription("nodes: all: one entry per node, written by that node's agent.") public List<NodeStatus> nodes;

  @JsonPropertyDescription("The status in words: for nodes: all the nodes' latest runs (3/3 nodes succeeded), "
      + "else the latest run and where it ran (succeeded on node-2).") public String summary;

  @JsonPropertyDescription("Due times not run (MISSED): runs + missed + skipped counts every due time.")
  public Long missed;

  @JsonPropertyDescription("The latest burst of MISSED due times: from, to, count and why.") public LastMissed lastMissed;

  @JsonPropertyDescription("nodes: one: the latest run-now request handled (annotation nodepulse.dev/run-now): its "
      + "request id, when its run was claimed and by which node; the same request id never runs again.")
  public LastRunNow lastRunNow;

  @JsonPropertyDescription("Due times passed over on purpose because a run of the task was still going "
      + "(concurrencyPolicy: Forbid).") public Long skipped;

  @JsonPropertyDescription("The latest burst of skipped due times: from, to, count and why.") public LastMissed lastSkipped;

  /** A run-now request handled: it ran (or was claimed to run) once, and never runs again. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LastRunNow {
    @JsonPropertyDescription("The value of the annotation nodepulse.dev/run-now that was handled.")
    public String requestId;

    @JsonPropertyDescription("When its run was claimed (RFC 3339): the run's due time, its lastRun.dueAt.")
    public String at;

    @JsonPropertyDescription("The node whose agent ran it.") public String node;
  }

  /** The latest burst of due times not run. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LastMissed {
    @JsonPropertyDescription("The first due time of the burst (RFC 3339).") public String from;

    @JsonPropertyDescription("The last due time of the burst (RFC 3339).") public String to;

    @JsonPropertyDescription("How many due times the burst has.") public Long count;

    @JsonPropertyDescription("Why they were not run: the agent was not running, the API server was away, the claim "
        + "holder stopped, past the startingDeadline, skipped (missedRuns: Skip), or a run was still going "
        + "(concurrencyPolicy: Forbid).") public String reason;
  }


  /** The task's phase. */
  public enum Phase { Pending, Scheduled, Running, Succeeded, Failed }

  /** The latest finished attempt. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LastRun {
    @JsonPropertyDescription("The due time the attempt belongs to.") public String dueAt;

    @JsonPropertyDescription("When it started.") public String startedAt;

    @JsonPropertyDescription("When it ended.") public String finishedAt;

    @JsonPropertyDescription("How long it took, in milliseconds.") public Long durationMs;

    @JsonPropertyDescription("The node whose agent ran it.") public String node;

    @JsonPropertyDescription("SUCCEEDED, FAILED, TIMEOUT, DENIED, CANCELLED, MISSED or LOST.") public String outcome;

    @JsonPropertyDescription("The HTTP status, for http targets.") public Integer httpStatus;

    @JsonPropertyDescription("Bytes of output.") public Long bytes;

    @JsonPropertyDescription("A short excerpt of the output (for pi, the digits); the whole output is on the agent "
    + "that ran it: GET /api/v1/tasks/{namespace}/{name}/runs/latest/output.") public String result;

    @JsonPropertyDescription("Why it failed.") public String error;
  }

  /** A running computation's progress. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Progress {
    @JsonPropertyDescription("0 to 100.") public Double percent;

    @JsonPropertyDescription("The value so far, cut short.") public String intermediate;
  }

  /** One node's view of a nodes: all task. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class NodeStatus {
    @JsonPropertyDescription("The node.") @Required public String node;

    @JsonPropertyDescription("This node's phase.") public Phase phase;

    @JsonPropertyDescription("This node's latest finished attempt.") public LastRun lastRun;

    @JsonPropertyDescription("Runs on this node (a run is one due time).") public Long runs;

    @JsonPropertyDescription("Attempts on this node, retries included.") public Long attempts;

    @JsonPropertyDescription("Due times this node did not run (MISSED), as of its latest run.") public Long missed;

    @JsonPropertyDescription("Due times this node passed over while its run went on (concurrencyPolicy: Forbid), as "
        + "of its latest run.") public Long skipped;

    @JsonPropertyDescription("When this node's next run is due (RFC 3339, its jitter included).")
    public String nextRunAt;

    @JsonPropertyDescription("The latest run-now request (annotation nodepulse.dev/run-now) this node ran.")
    public LastRunNow lastRunNow;
  }
}

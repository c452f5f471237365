package dev.nodepulse.tasks.model;

import java.time.Duration;
import java.util.Map;

/**
 * A validated DelayedTask {@code spec}. {@code startingDeadline} is null when not set. {@code suspend}: no new runs
 * while true (docs/tasks.md, "Pause and resume"); not part of the spec's hash, so pausing keeps the schedule.
 */
public record TaskSpec(String title, Schedule timing, Target target, Nodes nodes, Map<String, String> nodeSelector,
    Retry retry, Duration startingDeadline, boolean suspend) {

  public TaskSpec {
    nodeSelector = Map.copyOf(nodeSelector);
  }

  /** one: exactly one agent in the cluster runs it; all: every matching node. */
  public enum Nodes { ONE, ALL }

  /** Failed attempts (FAILED, TIMEOUT) are retried up to {@code limit} times, waiting backoff, 2×backoff, 4×... */
  public record Retry(int limit, Duration backoff) {
    public static final Retry NONE = new Retry(0, Duration.ofSeconds(1));
  }
}

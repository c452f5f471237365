package dev.nodepulse.tasks.model;

import java.time.Duration;
import java.util.Map;

/** A validated DelayedTask {@code spec}. {@code startingDeadline} is null when not set. */
public record TaskSpec(String title, Schedule timing, Target target, Nodes nodes, Map<String, String> nodeSelector,
    Retry retry, Duration startingDeadline, ConcurrencyPolicy concurrencyPolicy,
    int history) {

  public TaskSpec {
    nodeSelector = Map.copyOf(nodeSelector);
  }

  /**
   * What a due time does while a run of the task is still going: Forbid (the default) skips it, Allow runs it too
   * (overlapping, within the concurrency limit), Replace cancels the running attempt and runs it.
   */
  public enum ConcurrencyPolicy { Forbid, Allow, Replace }

  /** one: exactly one agent in the cluster runs it; all: every matching node. */
  public enum Nodes { ONE, ALL }

  /** Failed attempts (FAILED, TIMEOUT) are retried up to {@code limit} times, waiting backoff, 2×backoff, 4×... */
  public record Retry(int limit, Duration backoff) {
    public static final Retry NONE = new Retry(0, Duration.ofSeconds(1));
  }
}

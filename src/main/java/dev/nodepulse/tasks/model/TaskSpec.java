package dev.nodepulse.tasks.model;

import java.time.Duration;
import java.util.Map;

/**
 * A validated DelayedTask {@code spec}. {@code startingDeadline} is null when not set; {@code jitter} is zero when not
 * set (each due time is spread by a stable amount below it: {@code tasks.run.Jitter}); {@code missedRuns}: what
 * becomes of due times that passed while nothing could run (docs/tasks.md). {@code suspend}: no new runs while true
 * (docs/tasks.md, "Pause and resume"); not part of the spec's hash, so pausing keeps the schedule.
 * {@code ttlAfterFinished}: a one-shot is deleted this long after it finished (null: kept; {@code tasks.run.Expiry});
 * not part of the hash either, so changing it never runs a finished task again.
 */
public record TaskSpec(String title, Schedule timing, Target target, Nodes nodes, Map<String, String> nodeSelector,
    Retry retry, Duration startingDeadline, Duration jitter, MissedRuns missedRuns, boolean suspend,
    ConcurrencyPolicy concurrencyPolicy, int history, Duration ttlAfterFinished) {

  public TaskSpec {
    nodeSelector = Map.copyOf(nodeSelector);
  }

  /** Of the due times that passed while nothing could run: run the latest once (default), or skip them all. */
  public enum MissedRuns { RunLatest, Skip }

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

package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.time.Duration;
import java.util.Map;

/**
 * A validated DelayedTask {@code spec}. {@code startingDeadline} is null when not set; {@code jitter} is zero when not
 * set (each due time is spread by a stable amount below it: {@code tasks.run.Jitter}); {@code missedRuns}: what
 * becomes of due times that passed while nothing could run (docs/tasks.md). {@code suspend}: no new runs while true
 * (docs/tasks.md, "Pause and resume"); not part of the spec's hash, so pausing keeps the schedule.
 * {@code ttlAfterFinished}: a one-shot is deleted this long after it finished (null: kept; {@code tasks.run.Expiry});
 * not part of the hash either, so changing it never runs a finished task again. In JSON ({@link TaskJson}) the
 * timing is its one field ({@code delay}, {@code at}, {@code every} or {@code schedule}) and a field at its default
 * is left out, so that the hash of a task written before the field existed stays.
 */
public record TaskSpec(String title, @JsonUnwrapped Schedule timing, Target target, Nodes nodes,
    @JsonInclude(Include.NON_EMPTY) Map<String, String> nodeSelector, Retry retry, Duration startingDeadline,
    @JsonInclude(value = Include.CUSTOM, valueFilter = TaskJson.AtDefault.class) Duration jitter,
    @JsonInclude(value = Include.CUSTOM, valueFilter = TaskJson.AtDefault.class) MissedRuns missedRuns,
    @JsonInclude(Include.NON_DEFAULT) boolean suspend,
    @JsonInclude(value = Include.CUSTOM, valueFilter = TaskJson.AtDefault.class) ConcurrencyPolicy concurrencyPolicy,
    @JsonInclude(value = Include.CUSTOM, valueFilter = TaskJson.AtDefault.class) int history,
    Duration ttlAfterFinished) {

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
  public enum Nodes {
    @JsonProperty("one") ONE,
    @JsonProperty("all") ALL
  }

  /** Failed attempts (FAILED, TIMEOUT) are retried up to {@code limit} times, waiting backoff, 2×backoff, 4×... */
  public record Retry(int limit, Duration backoff) {
    public static final Retry NONE = new Retry(0, Duration.ofSeconds(1));
  }
}

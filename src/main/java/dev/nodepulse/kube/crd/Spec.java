package dev.nodepulse.kube.crd;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.nodepulse.tasks.model.Limits;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** A DelayedTask's {@code spec} on the wire (docs/tasks.md gives the rules). */
@JsonClassDescription("What the task does and when: exactly one timing (delay, at, every, schedule) and exactly "
    + "one target (http, tcp, pipe, compute).")
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.delay), has(self.at), has(self.every), has(self.schedule)].filter(x, x).size() == 1",
    message = "exactly one of delay, at, every, schedule is required", reason = "FieldValueInvalid")
@ValidationRule(value = "!has(self.timeZone) || has(self.schedule)",
    message = "timeZone is only allowed with schedule (a cron expression)", fieldPath = ".timeZone")
@ValidationRule(value = Rules.JITTER_BELOW_EVERY, message = "jitter must be less than every", fieldPath = ".jitter")
@ValidationRule(value = "!has(self.ttlAfterFinished) || has(self.delay) || has(self.at)",
    message = "ttlAfterFinished is only accepted for a one-shot task (delay or at)", fieldPath = ".ttlAfterFinished")
public class Spec {
  @JsonPropertyDescription("Shown in the page and the API; free text.")
  @Size(max = Limits.TITLE)
  public String title;

  @JsonPropertyDescription("Run once, this long after the task was created: 500ms, 30s, 5m, 1h30m, 2d (0s to 365d).")
  @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.UP_TO_365D, message = "must be 0s to 365d")
  public String delay;

  @JsonPropertyDescription("Run once, at this RFC 3339 time with an offset, e.g. 2026-11-23T18:30:00Z.")
  @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.RFC3339, message = "must be an RFC 3339 time with an offset, such as 2026-11-23T18:30:00Z")
  public String at;

  @JsonPropertyDescription("Run repeatedly, every interval, the first run one interval after creation (1s to 365d).")
  @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.ONE_SECOND_TO_365D, message = "must be 1s to 365d")
  public String every;

  @JsonPropertyDescription("Run on a cron schedule: 5 fields (minute hour day-of-month month day-of-week) or 6 "
      + "fields with seconds first (Spring-style: ?, L, W, # accepted). The zone is timeZone, not a prefix.")
  @Size(max = Limits.SCHEDULE) @Pattern("^\\s*\\S+(\\s+\\S+){4,5}\\s*$")
  @ValidationRule(value = "!self.startsWith('CRON_TZ=') && !self.startsWith('TZ=')",
      message = "time zone prefixes are not accepted; put the zone in spec.timeZone")
  public String schedule;

  @JsonPropertyDescription("The IANA time zone of schedule, such as Europe/Paris (default UTC); only with schedule.")
  @Size(max = Limits.WORD)
  public String timeZone;

  @JsonPropertyDescription("Where a run goes: exactly one of http, tcp, pipe, compute.")
  @Required
  public Target target;

  @JsonPropertyDescription("one (default): exactly one agent in the cluster runs each due run; all: every agent "
      + "whose node matches nodeSelector runs it.")
  public Nodes nodes;

  @JsonPropertyDescription("Node labels a node must have for its agent to run the task (at most " + Limits.LABELS
      + ").")
  @Size(max = Limits.LABELS)
  @ValidationRule(value = "self.all(k, size(self[k]) <= " + Limits.LABEL_VALUE + ")",
      message = "label values are at most " + Limits.LABEL_VALUE + " characters")
  public Map<String, String> nodeSelector;

  @JsonPropertyDescription("Retries of a failed or timed-out attempt (and of a run whose agent stopped during it).")
  public Retry retry;

  @JsonPropertyDescription("A run that would start more than this after its due time is skipped and recorded as "
      + "MISSED instead of run late (1s to 365d).")
  @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.ONE_SECOND_TO_365D, message = "must be 1s to 365d")
  public String startingDeadline;

  @JsonPropertyDescription("Spreads each due time later by a stable amount below this, from the task (nodes: one, the "
      + "same on every agent) or the task and the node (nodes: all): 0s to 1h, and less than every.")
  @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.UP_TO_1H, message = "must be 0s to 1h")
  public String jitter;

  @JsonPropertyDescription("Due times that passed while nothing could run (agent down, API server away, claim holder "
      + "stopped): RunLatest (default) runs the latest once and records the others MISSED; Skip records them all "
      + "MISSED and waits for the next due time.")
  public MissedRuns missedRuns;

  /** What becomes of due times that passed while nothing could run. */
  public enum MissedRuns { RunLatest, Skip }

  @JsonPropertyDescription("true: no new runs (a run in flight finishes); due times that pass while suspended are "
      + "skipped on purpose, not missed; a one-shot waits and runs when resumed. Default false.")
  @Default("false")
  public Boolean suspend;

  @JsonPropertyDescription("What a due time does while a run of the task is still going: Forbid (the default) skips "
      + "it, Allow runs it too (overlapping, within --max-concurrent-runs), Replace cancels the running attempt.")
  public ConcurrencyPolicy concurrencyPolicy;

  @JsonPropertyDescription("How many runs of the task its agent keeps and lists (1 to 100, default 20).")
  @Min(1) @Max(Limits.HISTORY)
  public Integer history;

  @JsonPropertyDescription("A one-shot (delay, at) is deleted this long after it finished (Succeeded or Failed, every "
      + "retry done; nodes: all: on every node that ran it): 0s to 30d, as a Job's ttlSecondsAfterFinished. Refused "
      + "with every or schedule. Default: kept.")
  @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.UP_TO_30D, message = "must be 0s to 30d")
  public String ttlAfterFinished;

  /** What a due time does while a run is still going. */
  public enum ConcurrencyPolicy { Forbid, Allow, Replace }

  /** Which agents run the task. */
  public enum Nodes {
    @JsonProperty("one") ONE,
    @JsonProperty("all") ALL
  }
}

package dev.nodepulse.tasks.run;

import dev.nodepulse.config.Durations;
import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskSpec.MissedRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What becomes of the due times that passed, from the oldest not yet accounted for up to now: which one runs and
 * which are MISSED (a pure function of the policy, the startingDeadline, the schedule, that oldest due time and
 * now; docs/tasks.md "Due times that passed"). One due time that passed alone is the ordinary case: it runs,
 * unless it is past the startingDeadline. Two or more are a burst that passed while nothing could run:
 * {@code RunLatest} runs the latest once and records the others MISSED, {@code Skip} records them all MISSED.
 * A due time the decision runs is still MISSED when it is older than the startingDeadline.
 */
public final class Catchup {
  /** Due times named one by one in a decision (and in its Event); the count and the range cover the rest. */
  static final int NAMED = 32;
  /** Cron due times counted one by one at most (a schedule down for longer is counted up to here). */
  static final int COUNTED = 100_000;

  private Catchup() {}

  /**
   * @param run the due time to run now, or null: none
   * @param missed the MISSED due times ({@link Missed#count()} 0: none)
   * @param next the next due time after those accounted for, strictly after now; null: the schedule has no more
   */
  public record Decision(Instant run, Missed missed, Instant next) {
    /** The same decision on a timeline moved later by {@code by} (a task's jitter, {@link DuePlan}). */
    Decision shifted(Duration by) {
      if (by.isZero()) {
        return this;
      }
      return new Decision(run == null ? null : run.plus(by), missed.shifted(by), next == null ? null : next.plus(by));
    }
  }

  /** Due times not run: {@code count} of them from {@code from} to {@code to}, the first {@link #NAMED} in {@code named}. */
  public record Missed(long count, Instant from, Instant to, List<Instant> named, String reason) {
    static final Missed NONE = new Missed(0, null, null, List.of(), null);

    public Missed {
      named = List.copyOf(named);
    }

    /** The same due times on a timeline moved later by {@code by}. */
    Missed shifted(Duration by) {
      return count == 0 || by.isZero() ? this : new Missed(count, from.plus(by), to.plus(by),
          named.stream().map(t -> t.plus(by)).toList(), reason);
    }
  }

  /**
   * Every due time from {@code oldest} to {@code until}, none run, for {@code why}: the due times a run passed over
   * (concurrencyPolicy Forbid). None when {@code oldest} is after {@code until}.
   */
  public static Missed all(Schedule timing, Instant oldest, Instant until, String why) {
    Passed p = passed(timing, oldest, until);
    return p.count == 0 ? Missed.NONE : new Missed(p.count, p.named.getFirst(), p.latest, p.named, why);
  }

  /**
   * @param why why the due times of a burst could not run when due (e.g. "the agent was not running")
   */
  public static Decision decide(MissedRuns policy, Duration startingDeadline, Schedule timing, Instant oldest,
      Instant now, String why) {
    Passed p = passed(timing, oldest, now);
    Instant next = DueTimes.nextAfter(timing, p.latest, now);
    if (p.count == 0) {
      return new Decision(null, Missed.NONE, oldest);
    }
    boolean burst = p.count > 1;
    boolean late = startingDeadline != null && Duration.between(p.latest, now).compareTo(startingDeadline) > 0;
    boolean runLatest = !late && (!burst || policy == MissedRuns.RunLatest);
    long missedCount = runLatest ? p.count - 1 : p.count;
    if (missedCount == 0) {
      return new Decision(p.latest, Missed.NONE, next);
    }
    List<Instant> named = p.named.size() > missedCount ? p.named.subList(0, (int) missedCount) : p.named;
    Instant to = runLatest ? p.beforeLatest : p.latest;
    String reason;
    if (late) {
      reason = "past the startingDeadline of " + Durations.format(startingDeadline) + " (the latest was "
          + Durations.format(Duration.between(p.latest, now)) + " late)" + (burst ? "; " + why : "");
    } else if (policy == MissedRuns.Skip) {
      reason = why + "; skipped (missedRuns: Skip)";
    } else {
      reason = why + "; only the latest runs (missedRuns: RunLatest)";
    }
    return new Decision(runLatest ? p.latest : null, new Missed(missedCount, p.named.getFirst(), to, named, reason),
        next);
  }

  /**
   * The latest due time from {@code oldest} to now, to run with nothing recorded MISSED here: a {@code nodes: one} task
   * of the cluster, whose claim accounts for the due times nobody ran from the cluster's record, not from this agent's
   * view (the others may have run them while it was down).
   */
  public static Decision latest(Schedule timing, Instant oldest, Instant now) {
    Decision d = decide(MissedRuns.RunLatest, null, timing, oldest, now, "");
    return d.run() == null ? d : new Decision(d.run(), Missed.NONE, d.next());
  }

  /** The due times from {@code oldest} to now: how many, the latest, the one before it, and the first few. */
  private record Passed(long count, Instant latest, Instant beforeLatest, List<Instant> named) {}

  private static Passed passed(Schedule timing, Instant oldest, Instant now) {
    if (oldest == null || oldest.isAfter(now)) {
      return new Passed(0, oldest, null, List.of());
    }
    List<Instant> named = new ArrayList<>();
    named.add(oldest);
    return switch (timing) {
      case Schedule.Delay d -> new Passed(1, oldest, null, named);
      case Schedule.At a -> new Passed(1, oldest, null, named);
      case Schedule.Every ev -> {
        long count = Duration.between(oldest, now).toMillis() / ev.every().toMillis() + 1;
        for (long i = 1; i < Math.min(count, NAMED); i++) {
          named.add(oldest.plus(ev.every().multipliedBy(i)));
        }
        Instant latest = oldest.plus(ev.every().multipliedBy(count - 1));
        yield new Passed(count, latest, count > 1 ? latest.minus(ev.every()) : null, named);
      }
      case Schedule.Cron c -> {
        long count = 1;
        Instant before = null;
        Instant latest = oldest;
        while (count < COUNTED) {
          Instant n = c.next(latest).orElse(null);
          if (n == null || n.isAfter(now)) {
            break;
          }
          before = latest;
          latest = n;
          count++;
          if (named.size() < NAMED) {
            named.add(n);
          }
        }
        yield new Passed(count, latest, before, named);
      }
    };
  }
}

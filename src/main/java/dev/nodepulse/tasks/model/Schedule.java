package dev.nodepulse.tasks.model;

import com.cronutils.model.time.ExecutionTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * When a task runs: exactly one of {@code delay}, {@code at}, {@code every}, {@code schedule} in the spec.
 * Delay counts from the moment the agent first saw the task (persisted, so restarts do not restart it).
 */
public sealed interface Schedule permits Schedule.Delay, Schedule.At, Schedule.Every, Schedule.Cron {

  /** True for one-shot timings (delay, at). */
  default boolean oneShot() {
    return switch (this) {
      case Delay d -> true;
      case At a -> true;
      case Every e -> false;
      case Cron c -> false;
    };
  }

  /** Once, {@code delay} after the task was first seen. */
  record Delay(Duration delay) implements Schedule {}

  /** Once, at an RFC 3339 instant. */
  record At(Instant at) implements Schedule {}

  /** Repeatedly, every {@code every}, the first run {@code every} after the task was first seen. */
  record Every(Duration every) implements Schedule {}

  /**
   * A cron schedule: 5 fields (minute first, Unix) or 6 fields (seconds first, Spring-style), evaluated
   * in {@code zone} (the spec's {@code timeZone}, default UTC).
   */
  record Cron(String expression, ZoneId zone, ExecutionTime executionTime) implements Schedule {
    /** The first execution strictly after {@code after} (on a whole second), if any. */
    public Optional<Instant> next(Instant after) {
      Instant from = after.truncatedTo(ChronoUnit.SECONDS);
      return executionTime.nextExecution(ZonedDateTime.ofInstant(from, zone)).map(ZonedDateTime::toInstant);
    }

    /** The latest execution at or before {@code atOrBefore}, if any. */
    public Optional<Instant> last(Instant atOrBefore) {
      Instant to = atOrBefore.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
      return executionTime.lastExecution(ZonedDateTime.ofInstant(to, zone)).map(ZonedDateTime::toInstant);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cron c && c.expression.equals(expression) && c.zone.equals(zone);
    }

    @Override
    public int hashCode() {
      return expression.hashCode() * 31 + zone.hashCode();
    }

    @Override
    public String toString() {
      return "Cron[" + expression + " " + zone + "]";
    }
  }
}

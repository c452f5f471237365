package dev.nodepulse.tasks.model;

import com.cronutils.model.time.ExecutionTime;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
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
  record Cron(@JsonProperty("schedule") String expression, @JsonIgnore ZoneId zone,
      @JsonIgnore ExecutionTime executionTime) implements Schedule {
    /** {@code spec.timeZone}: left out for UTC, the default. */
    @JsonProperty
    String timeZone() {
      return zone.equals(ZoneOffset.UTC) ? null : zone.getId();
    }

    /**
     * The first execution strictly after {@code after} (on a whole second), if any. The expression is matched
     * against local wall-clock times in {@code zone}; where the zone's clocks jump:
     * <ul>
     *   <li>spring forward (a gap): a time inside the gap runs at the first instant after it (the moment of the
     *       jump), as Vixie cron does: {@code 30 2 28 3 *} in Europe/Paris runs at 03:00 CEST on 2027-03-28;</li>
     *   <li>fall back (a repeat): a wall-clock time that occurs twice runs once, at its first occurrence
     *       (the earlier offset); the repeated hour does not run its times again.</li>
     * </ul>
     */
    public Optional<Instant> next(Instant after) {
      Instant from = after.truncatedTo(ChronoUnit.SECONDS);
      LocalDateTime local = LocalDateTime.ofInstant(from, zone);
      for (int i = 0; i < 1000; i++) {
        Optional<ZonedDateTime> n = executionTime.nextExecution(local.atZone(ZoneOffset.UTC));
        if (n.isEmpty()) {
          return Optional.empty();
        }
        local = n.get().toLocalDateTime();
        Instant at = instantOf(local);
        if (at.isAfter(from)) {
          return Optional.of(at);
        }
        // inside or after a repeated hour: this wall-clock time has already come; look further
      }
      return Optional.empty();
    }

    /** The latest execution at or before {@code atOrBefore}, if any (the same wall-clock rules as next). */
    public Optional<Instant> last(Instant atOrBefore) {
      Instant to = atOrBefore.truncatedTo(ChronoUnit.SECONDS);
      LocalDateTime local = LocalDateTime.ofInstant(to, zone).plusSeconds(1);
      for (int i = 0; i < 1000; i++) {
        Optional<ZonedDateTime> l = executionTime.lastExecution(local.atZone(ZoneOffset.UTC));
        if (l.isEmpty()) {
          return Optional.empty();
        }
        local = l.get().toLocalDateTime();
        Instant at = instantOf(local);
        if (!at.isAfter(to)) {
          return Optional.of(at);
        }
      }
      return Optional.empty();
    }

    /** A wall-clock time as an instant: in a gap, the end of the gap; in a repeat, the first occurrence. */
    private Instant instantOf(LocalDateTime local) {
      ZoneOffsetTransition t = zone.getRules().getTransition(local);
      if (t != null && t.isGap()) {
        return t.getInstant();
      }
      return local.atZone(zone).withEarlierOffsetAtOverlap().toInstant();
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

package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskSpec.MissedRuns;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The catch-up decision as a table on a fixed clock: which passed due time runs, how many are MISSED and why. */
class CatchupTest {
  static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");
  static final Schedule EVERY_2S = new Schedule.Every(Duration.ofSeconds(2));
  static final String WHY = "the agent was not running";

  /** policy, startingDeadline, schedule, oldest unaccounted due, now → run (or null), missed count, from, to, next, reason part. */
  static Stream<Arguments> table() throws Exception {
    Schedule cron5 = DueTimesTest.cron("*/5 * * * *", "UTC");
    return Stream.of(
        // not due yet: nothing
        Arguments.of(MissedRuns.RunLatest, null, EVERY_2S, T0, T0.minusMillis(1), null, 0, null, null, T0, null),
        // one due time, on time: it runs (either policy)
        Arguments.of(MissedRuns.RunLatest, null, EVERY_2S, T0, T0.plusMillis(30), T0, 0, null, null, T0.plusSeconds(2), null),
        Arguments.of(MissedRuns.Skip, null, EVERY_2S, T0, T0.plusMillis(30), T0, 0, null, null, T0.plusSeconds(2), null),
        // a burst of 16 passed due times (T0 .. T0+30s): RunLatest runs the latest once, 15 MISSED
        Arguments.of(MissedRuns.RunLatest, null, EVERY_2S, T0, T0.plusMillis(30_500), T0.plusSeconds(30), 15, T0,
            T0.plusSeconds(28), T0.plusSeconds(32), "RunLatest"),
        // the same burst with Skip: 16 MISSED, nothing runs, the next due time waits
        Arguments.of(MissedRuns.Skip, null, EVERY_2S, T0, T0.plusMillis(30_500), null, 16, T0, T0.plusSeconds(30),
            T0.plusSeconds(32), "Skip"),
        // a single due time late past its startingDeadline: MISSED with that reason
        Arguments.of(MissedRuns.RunLatest, Duration.ofSeconds(5), new Schedule.Delay(Duration.ofSeconds(1)), T0,
            T0.plusSeconds(6), null, 1, T0, T0, null, "startingDeadline of 5s"),
        // within its startingDeadline: it runs
        Arguments.of(MissedRuns.RunLatest, Duration.ofSeconds(5), new Schedule.Delay(Duration.ofSeconds(1)), T0,
            T0.plusSeconds(4), T0, 0, null, null, null, null),
        // a burst whose latest is still within the deadline: the latest runs, the older ones MISSED
        Arguments.of(MissedRuns.RunLatest, Duration.ofSeconds(5), EVERY_2S, T0, T0.plusSeconds(31), T0.plusSeconds(30),
            15, T0, T0.plusSeconds(28), T0.plusSeconds(32), "RunLatest"),
        // a burst whose latest is past the deadline too: all 16 MISSED for the deadline
        Arguments.of(MissedRuns.RunLatest, Duration.ofSeconds(1), EVERY_2S, T0, T0.plusMillis(31_500), null, 16, T0,
            T0.plusSeconds(30), T0.plusSeconds(32), "startingDeadline of 1s"),
        // cron: 12:05 .. 12:30 passed (6 due times) → 12:30 runs, 5 MISSED
        Arguments.of(MissedRuns.RunLatest, null, cron5, Instant.parse("2026-11-23T12:05:00Z"),
            Instant.parse("2026-11-23T12:31:00Z"), Instant.parse("2026-11-23T12:30:00Z"), 5,
            Instant.parse("2026-11-23T12:05:00Z"), Instant.parse("2026-11-23T12:25:00Z"),
            Instant.parse("2026-11-23T12:35:00Z"), "RunLatest"),
        // a one-shot that passed while the agent was down runs once, however late (no deadline)
        Arguments.of(MissedRuns.Skip, null, new Schedule.At(T0), T0, T0.plus(Duration.ofDays(2)), T0, 0, null, null,
            null, null));
  }

  @ParameterizedTest
  @MethodSource("table")
  void decides(MissedRuns policy, Duration deadline, Schedule timing, Instant oldest, Instant now, Instant run,
      int missed, Instant from, Instant to, Instant next, String reason) {
    Catchup.Decision d = Catchup.decide(policy, deadline, timing, oldest, now, WHY);
    assertThat(d.run()).isEqualTo(run);
    assertThat(d.missed().count()).isEqualTo(missed);
    assertThat(d.missed().from()).isEqualTo(from);
    assertThat(d.missed().to()).isEqualTo(to);
    assertThat(d.next()).isEqualTo(next);
    assertThat(d.missed().named()).hasSize(Math.min(missed, Catchup.NAMED));
    if (reason != null) {
      assertThat(d.missed().reason()).contains(reason);
    }
    if (missed > 0) {
      assertThat(d.missed().named().getFirst()).isEqualTo(from);
      assertThat(d.missed().named()).doesNotContain(run);
    }
  }
}

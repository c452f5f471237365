package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskReader;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** The due step alone: pure functions of the schedule, the first-seen time, the last due time and a fixed now. */
class DueTimesTest {
  static final Instant SEEN = Instant.parse("2026-11-23T12:00:00Z");

  static Schedule cron(String expr, String zone) throws Exception {
    String y = "metadata: {name: c}\nspec:\n  schedule: \"" + expr + "\"\n  timeZone: " + zone
        + "\n  target: {compute: {pi: {digits: 10}}}\n";
    return TaskReader.read(y, TaskReader.Format.YAML).spec().timing();
  }

  @Test
  void firstDueTimes() throws Exception {
    assertThat(DueTimes.first(new Schedule.Delay(Duration.ofSeconds(30)), SEEN)).isEqualTo(SEEN.plusSeconds(30));
    assertThat(DueTimes.first(new Schedule.Every(Duration.ofMinutes(5)), SEEN)).isEqualTo(SEEN.plusSeconds(300));
    Instant at = Instant.parse("2026-12-01T00:00:00Z");
    assertThat(DueTimes.first(new Schedule.At(at), SEEN)).isEqualTo(at);
    assertThat(DueTimes.first(cron("15 * * * *", "UTC"), SEEN)).isEqualTo(Instant.parse("2026-11-23T12:15:00Z"));
  }

  @Test
  void theNextOccurrenceIsStrictlyInTheFutureAndOnTheGrid() {
    Schedule every = new Schedule.Every(Duration.ofSeconds(10));
    Instant due = SEEN;
    assertThat(DueTimes.nextAfter(every, due, due.plusSeconds(1))).isEqualTo(due.plusSeconds(10));
    // the run took 35 s: the next one is the next point of the 10 s grid, not 10 s after the end
    assertThat(DueTimes.nextAfter(every, due, due.plusSeconds(35))).isEqualTo(due.plusSeconds(40));
    assertThat(DueTimes.nextAfter(new Schedule.Delay(Duration.ZERO), due, due)).isNull();
  }

  @Test
  void aTimeInTheSpringForwardGapRunsAtTheFirstInstantAfterTheGapOnce() throws Exception {
    // Europe/Paris jumps from 02:00 CET to 03:00 CEST on 2027-03-28 (01:00 UTC): 02:30 does not exist that day
    Schedule gap = cron("30 2 28 3 *", "Europe/Paris");
    Instant before = Instant.parse("2027-03-01T00:00:00Z");
    Instant jump = Instant.parse("2027-03-28T01:00:00Z");
    assertThat(DueTimes.first(gap, before)).isEqualTo(jump); // before: the next run was a year later
    // and only once: the next is the following year's (2028-03-28 is a Tuesday, no gap: 02:30 CEST)
    assertThat(DueTimes.nextAfter(gap, jump, jump)).isEqualTo(Instant.parse("2028-03-28T00:30:00Z"));
    // every minute of the gap hour collapses into the one run at the jump
    Schedule hourly = cron("*/15 2 * * *", "Europe/Paris");
    assertThat(DueTimes.first(hourly, Instant.parse("2027-03-28T00:50:00Z"))).isEqualTo(jump);
    assertThat(DueTimes.nextAfter(hourly, jump, jump)).isEqualTo(Instant.parse("2027-03-29T00:00:00Z"));
  }

  @Test
  void aTimeRepeatedInTheAutumnRunsOnceAtItsFirstOccurrence() throws Exception {
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at 00:30 UTC and again at 01:30 UTC
    Schedule repeated = cron("30 2 * * *", "Europe/Paris");
    Instant first = Instant.parse("2026-10-25T00:30:00Z");
    assertThat(DueTimes.first(repeated, Instant.parse("2026-10-24T12:00:00Z"))).isEqualTo(first);
    assertThat(DueTimes.nextAfter(repeated, first, first)).isEqualTo(Instant.parse("2026-10-26T01:30:00Z"));
    // seen during the repeated hour, after its first 02:30: not again that night
    assertThat(DueTimes.first(repeated, Instant.parse("2026-10-25T01:10:00Z")))
        .isEqualTo(Instant.parse("2026-10-26T01:30:00Z"));
  }

  @Test
  void dayOfMonthAndDayOfWeekJoinWithOrInFiveFieldsAndWithAndInSix() throws Exception {
    Instant monday = Instant.parse("2026-11-23T12:00:00Z");
    // 5 fields (Vixie cron): the 13th OR a Friday -> Friday 2026-11-27 comes first
    assertThat(DueTimes.first(cron("0 0 13 * 5", "UTC"), monday)).isEqualTo(Instant.parse("2026-11-27T00:00:00Z"));
    // 6 fields (Spring): the 13th AND a Friday -> the next Friday the 13th, 2027-08-13
    assertThat(DueTimes.first(cron("0 0 0 13 * FRI", "UTC"), monday))
        .isEqualTo(Instant.parse("2027-08-13T00:00:00Z"));
  }

  @Test
  void fromAnAnchorRecurringTasksStartAtTheFirstOccurrenceAtOrAfterNowAndOneShotsKeepTheirs() throws Exception {
    Instant anchor = SEEN; // when the object was written
    Schedule every10s = new Schedule.Every(Duration.ofSeconds(10));
    assertThat(DueTimes.firstFromAnchor(every10s, anchor, anchor.plusSeconds(3))).isEqualTo(anchor.plusSeconds(10));
    assertThat(DueTimes.firstFromAnchor(every10s, anchor, anchor.plusSeconds(25))).isEqualTo(anchor.plusSeconds(30));
    assertThat(DueTimes.firstFromAnchor(every10s, anchor, anchor.plusSeconds(30))).isEqualTo(anchor.plusSeconds(30));
    assertThat(DueTimes.firstFromAnchor(every10s, anchor, anchor.plus(Duration.ofDays(3)).plusMillis(1)))
        .isEqualTo(anchor.plus(Duration.ofDays(3)).plusSeconds(10));
    // the same due times whenever an agent starts: each is anchor + k * 10 s
    for (int late = 0; late < 100; late += 7) {
      Instant first = DueTimes.firstFromAnchor(every10s, anchor, anchor.plusSeconds(late));
      assertThat(Duration.between(anchor, first).toMillis() % 10_000).isZero();
    }
    Schedule delay = new Schedule.Delay(Duration.ofMinutes(5));
    assertThat(DueTimes.firstFromAnchor(delay, anchor, anchor.plus(Duration.ofHours(1))))
        .as("a one-shot keeps its due time; the startingDeadline decides").isEqualTo(anchor.plus(Duration.ofMinutes(5)));
    assertThat(DueTimes.firstFromAnchor(cron("*/15 * * * *", "UTC"), anchor, Instant.parse("2026-11-23T12:20:00Z")))
        .isEqualTo(Instant.parse("2026-11-23T12:30:00Z"));
  }
}

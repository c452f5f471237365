package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** status.nextRuns and spec.jitter: pure functions of the spec, the identity, the node, an anchor and a fixed now. */
class PreviewTest {
  static final Instant SEEN = Instant.parse("2026-11-23T12:00:00Z");

  static TaskSpec spec(String timing) throws Exception {
    return TaskReader.read("metadata: {name: p}\nspec:\n  " + timing.replace("\n", "\n  ")
        + "\n  target: {compute: {pi: {digits: 10}}}\n", TaskReader.Format.YAML).spec();
  }

  static List<Instant> times(String... t) {
    return java.util.Arrays.stream(t).map(Instant::parse).toList();
  }

  record Row(String timing, Instant now, List<Instant> expected) {}

  @Test
  void everyTimingKindPreviewsItsNextFiveDueTimes() throws Exception {
    List<Row> rows = List.of(
        new Row("delay: 30s", SEEN, times("2026-11-23T12:00:30Z")),
        new Row("at: 2026-12-01T08:00:00+01:00", SEEN, times("2026-12-01T07:00:00Z")),
        new Row("every: 90s", SEEN, times("2026-11-23T12:01:30Z", "2026-11-23T12:03:00Z", "2026-11-23T12:04:30Z",
            "2026-11-23T12:06:00Z", "2026-11-23T12:07:30Z")),
        // seen long ago: the first due time after now, on the grid counted from the anchor
        new Row("every: 1m", SEEN.plusSeconds(3600 + 20), times("2026-11-23T13:01:00Z", "2026-11-23T13:02:00Z",
            "2026-11-23T13:03:00Z", "2026-11-23T13:04:00Z", "2026-11-23T13:05:00Z")),
        new Row("schedule: \"15 */6 * * *\"", SEEN, times("2026-11-23T12:15:00Z", "2026-11-23T18:15:00Z",
            "2026-11-24T00:15:00Z", "2026-11-24T06:15:00Z", "2026-11-24T12:15:00Z")),
        // Europe/Paris springs forward on 2027-03-28 (02:00 CET -> 03:00 CEST): 02:30 runs once, at the jump
        new Row("schedule: \"30 2 * * *\"\ntimeZone: Europe/Paris", Instant.parse("2027-03-26T12:00:00Z"),
            times("2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z", "2027-03-30T00:30:00Z",
                "2027-03-31T00:30:00Z")),
        // and falls back on 2027-10-31 (03:00 CEST -> 02:00 CET): 02:30 happens twice and runs once, the first
        new Row("schedule: \"30 2 * * *\"\ntimeZone: Europe/Paris", Instant.parse("2027-10-29T12:00:00Z"),
            times("2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z", "2027-11-02T01:30:00Z",
                "2027-11-03T01:30:00Z")),
        // six fields, seconds first: once a year
        new Row("schedule: \"0 0 12 1 1 ?\"", Instant.parse("2026-11-23T12:00:00Z"),
            times("2027-01-01T12:00:00Z", "2028-01-01T12:00:00Z", "2029-01-01T12:00:00Z", "2030-01-01T12:00:00Z",
                "2031-01-01T12:00:00Z")));
    for (Row r : rows) {
      Instant anchor = r.timing().startsWith("schedule") ? r.now() : SEEN;
      assertThat(Preview.of(spec(r.timing()), "default/p", "n1", anchor, r.now())).as(r.timing())
          .isEqualTo(r.expected());
    }
  }

  @Test
  void theNextRunsOfAPlannedOrRunningTaskComeFromItsOccurrence() throws Exception {
    DuePlan plan = new DuePlan(spec("every: 10s").timing(), Duration.ZERO);
    assertThat(Preview.from(plan, SEEN)).containsExactly(SEEN, SEEN.plusSeconds(10), SEEN.plusSeconds(20),
        SEEN.plusSeconds(30), SEEN.plusSeconds(40));
    // the run due at SEEN is still going 35 s later: the next ones are on the grid, after now
    assertThat(Preview.after(plan, SEEN, SEEN.plusSeconds(35))).first().isEqualTo(SEEN.plusSeconds(40));
    assertThat(Preview.from(plan, null)).isEmpty();
    DuePlan once = new DuePlan(spec("delay: 5s").timing(), Duration.ZERO);
    assertThat(Preview.after(once, SEEN, SEEN)).isEmpty();
  }

  @Test
  void jitterIsStableInRangeAndIncludedInThePreview() throws Exception {
    TaskSpec every = spec("every: 1m\njitter: 30s");
    Duration j = Jitter.of(every, "shop/warm", "n1");
    assertThat(j).isEqualTo(Jitter.of(every, "shop/warm", "n1")).isEqualTo(Jitter.of(every, "shop/warm", "n2"))
        .isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofSeconds(30));
    assertThat(Preview.of(every, "shop/warm", "n1", SEEN, SEEN)).first().isEqualTo(SEEN.plusSeconds(60).plus(j));
    assertThat(Preview.of(every, "shop/warm", "n1", SEEN, SEEN)).hasSize(5)
        .allSatisfy(t -> assertThat(Duration.between(SEEN, t).minus(j).toMillis() % 60_000).isZero());
    // across many tasks: all in [0, 30s), and spread (not one value)
    Set<Duration> seen = new HashSet<>();
    IntStream.range(0, 200).forEach(i -> seen.add(Jitter.of(every, "ns/task-" + i, "n1")));
    assertThat(seen).allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, Duration.ofMillis(29_999)));
    assertThat(seen.size()).isGreaterThan(150);
    assertThat(Jitter.of(spec("every: 1m"), "shop/warm", "n1")).isZero();
  }

  @Test
  void nodesAllSpreadsEachNodeAndNodesOneIsTheSameOnEveryAgent() throws Exception {
    TaskSpec all = spec("every: 1h\njitter: 30m\nnodes: all");
    Set<Duration> perNode = new HashSet<>();
    for (int n = 0; n < 50; n++) {
      Duration d = Jitter.of(all, "ops/probe", "node-" + n);
      assertThat(d).isEqualTo(Jitter.of(all, "ops/probe", "node-" + n)).isLessThan(Duration.ofMinutes(30));
      perNode.add(d);
    }
    assertThat(perNode.size()).isGreaterThan(45); // 50 nodes do not run in the same millisecond
    assertThat(Preview.of(all, "ops/probe", "node-1", SEEN, SEEN))
        .isNotEqualTo(Preview.of(all, "ops/probe", "node-2", SEEN, SEEN));
    assertThat(Jitter.shared(all, "ops/probe")).isZero(); // the cluster shows where each node's spread starts
    TaskSpec one = spec("every: 1h\njitter: 30m");
    assertThat(Jitter.shared(one, "ops/probe")).isEqualTo(Jitter.of(one, "ops/probe", "node-7"));
  }

  @Test
  void jitterKeepsEveryCronOccurrenceWhateverItsSize() throws Exception {
    // a minutely cron with up to an hour of jitter: still one run a minute, each moved by the same amount
    TaskSpec s = spec("schedule: \"* * * * *\"\njitter: 1h");
    Duration j = Jitter.of(s, "default/minutely", "n1");
    DuePlan plan = new DuePlan(s.timing(), j);
    Instant first = plan.first(SEEN);
    assertThat(first).isEqualTo(SEEN.plusSeconds(60).plus(j));
    assertThat(Preview.from(plan, first)).containsExactly(first, first.plusSeconds(60), first.plusSeconds(120),
        first.plusSeconds(180), first.plusSeconds(240));
    // due times missed while the agent was down: the latest runs (missedRuns: RunLatest), still jittered
    Instant now = first.plus(Duration.ofMinutes(10)).plusSeconds(7);
    Catchup.Decision d = Catchup.decide(TaskSpec.MissedRuns.RunLatest, null, s.timing(), first.minus(j), now.minus(j),
        "down").shifted(j);
    assertThat(d.run()).isEqualTo(first.plus(Duration.ofMinutes(10)));
    assertThat(d.missed().from()).isEqualTo(first);
    assertThat(d.missed().count()).isEqualTo(10);
    assertThat(plan.nextAfter(first, now)).isEqualTo(first.plus(Duration.ofMinutes(11)));
  }
}

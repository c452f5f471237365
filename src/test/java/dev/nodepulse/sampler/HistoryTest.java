package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Bus.history;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** History in SQLite: flushed at stop, gaps marked after downtime and after a stall. */
@ExtendWith(VertxExtension.class)
class HistoryTest {

  @Test
  void downtime_between_two_runs_shows_as_null_points(Vertx vertx, @TempDir Path dir) throws Exception {
    ShiftableClock clock = new ShiftableClock();
    Config config = Config.forTest(dir, "--sample-interval", "100ms");
    String first = await(vertx.deployVerticle(new SamplerVerticle(config, clock)));
    awaitSamples(vertx, 3);
    // live samples are answered before any flush to SQLite (flushes come every 5 s)
    List<JsonObject> live = points(history(vertx, 3_600_000));
    assertThat(live).hasSizeGreaterThanOrEqualTo(3).allSatisfy(p -> assertThat(p.getDouble("cpu")).isNotNull());
    await(vertx.undeploy(first));
    long stoppedAt = clock.millis();

    clock.shift(Duration.ofMinutes(10)); // the agent was down for ten minutes
    String second = await(vertx.deployVerticle(new SamplerVerticle(config, clock)));
    awaitSamples(vertx, 2);
    List<JsonObject> points = points(history(vertx, 3_600_000));

    assertThat(points).extracting(p -> p.getLong("t")).isSorted();
    // the gap's end is a null point at restart; right before it, a null point where the gap starts
    int end = 0;
    while (!(points.get(end).getValue("cpu") == null && points.get(end).getLong("t") >= stoppedAt + 600_000)) {
      end++;
    }
    JsonObject gapStart = points.get(end - 1);
    JsonObject gapEnd = points.get(end);
    assertThat(gapStart.getValue("cpu")).isNull();
    assertThat(gapStart.getValue("avg1m")).isNull();
    assertThat(gapEnd.getValue("avg1m")).isNull();
    assertThat(gapStart.getLong("t")).isLessThanOrEqualTo(stoppedAt);
    // what the first run saw was written at stop, and comes before the gap
    List<Long> before = points.subList(0, end - 1).stream().map(p -> p.getLong("t")).toList();
    assertThat(before).containsAll(live.stream().map(p -> p.getLong("t")).toList());
    assertThat(gapStart.getLong("t")).isGreaterThan(before.get(before.size() - 1));
    // then the new samples
    assertThat(points.subList(end + 1, points.size())).isNotEmpty()
        .anySatisfy(p -> assertThat(p.getValue("cpu")).isNotNull());

    // and they are all in SQLite after the second stop
    await(vertx.undeploy(second));
    try (HistoryStore store = HistoryStore.open(dir)) {
      List<Point> stored = store.since(0);
      assertThat(stored.stream().filter(p -> p.cpu() == null).map(Point::t))
          .contains(gapStart.getLong("t"), gapEnd.getLong("t"));
      assertThat(stored).hasSizeGreaterThanOrEqualTo(points.size());
    }
  }

  @Test
  void a_short_restart_that_makes_a_too_long_step_is_a_gap(Vertx vertx, @TempDir Path dir) throws Exception {
    ShiftableClock clock = new ShiftableClock();
    Config config = Config.forTest(dir, "--sample-interval", "1s"); // a step over 2.5 s is a gap
    String first = await(vertx.deployVerticle(new SamplerVerticle(config, clock)));
    awaitSamples(vertx, 2);
    await(vertx.undeploy(first));
    long lastT;
    try (HistoryStore store = HistoryStore.open(dir)) {
      lastT = store.lastT();
    }
    // restart 2.4 s after the last point: not yet a gap, but the first sample comes at least 250 ms later
    clock.shift(Duration.ofMillis(Math.max(0, 2_400 - (clock.millis() - lastT))));
    await(vertx.deployVerticle(new SamplerVerticle(config, clock)));
    awaitSamples(vertx, 1);
    List<JsonObject> points = points(history(vertx, 3_600_000));
    int firstNew = 0;
    while (points.get(firstNew).getValue("cpu") == null || points.get(firstNew).getLong("t") <= lastT) {
      firstNew++;
    }
    assertThat(points.get(firstNew).getLong("t") - lastT).isGreaterThan(2_500);
    assertThat(points.get(firstNew - 1).getValue("cpu")).as("a null point before the first new sample").isNull();
  }

  @Test
  void the_one_minute_average_goes_on_across_a_restart(Vertx vertx, @TempDir Path dir) throws Exception {
    ShiftableClock clock = new ShiftableClock();
    long now = clock.millis();
    List<Point> busyMinute = new ArrayList<>();
    for (int i = 50; i >= 1; i--) {
      busyMinute.add(new Point(now - i * 1000L, 100.0, 100.0)); // the run before: 50 s at 100 %
    }
    try (HistoryStore store = HistoryStore.open(dir)) {
      store.write(busyMinute);
    }
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir), clock)));
    awaitSamples(vertx, 1);
    JsonObject first = points(history(vertx, 3_600_000)).stream()
        .filter(p -> p.getLong("t") > now && p.getValue("cpu") != null).findFirst().orElseThrow();
    // the mean of the stored minute and the new sample, not the new sample alone
    assertThat(first.getDouble("avg1m"))
        .isCloseTo((50 * 100.0 + first.getDouble("cpu")) / 51, org.assertj.core.data.Offset.offset(0.02));
  }

  @Test
  void a_stall_while_running_shows_as_null_points(Vertx vertx, @TempDir Path dir) {
    ShiftableClock clock = new ShiftableClock();
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "100ms"), clock)));
    awaitSamples(vertx, 3);
    long before = clock.millis();
    clock.shift(Duration.ofSeconds(30)); // sampling stalled for 30 s
    long samples = Bus.health(vertx).getLong("samples");
    awaitSamples(vertx, samples + 2);
    List<JsonObject> points = points(history(vertx, 3_600_000));
    List<JsonObject> nulls = points.stream().filter(p -> p.getValue("cpu") == null).toList();
    // a null point where sampling stopped and one where it resumed, 30 s later
    assertThat(nulls).anySatisfy(p -> assertThat(p.getLong("t")).isBetween(before - 1_000, before + 1));
    assertThat(nulls).anySatisfy(p -> assertThat(p.getLong("t")).isBetween(before + 30_000, before + 31_000));
    // the one-minute average still covers the samples before the stall (they are within 60 s)
    JsonObject last = points.get(points.size() - 1);
    assertThat(last.getDouble("avg1m")).isNotNull();
  }

  @Test
  void a_window_returns_only_its_points(Vertx vertx, @TempDir Path dir) {
    ShiftableClock clock = new ShiftableClock();
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "100ms"), clock)));
    awaitSamples(vertx, 3);
    clock.shift(Duration.ofMinutes(2));
    long samples = Bus.health(vertx).getLong("samples");
    awaitSamples(vertx, samples + 2);
    long now = clock.millis();
    List<JsonObject> recent = points(history(vertx, 60_000));
    assertThat(recent).isNotEmpty().allSatisfy(p -> assertThat(p.getLong("t")).isGreaterThanOrEqualTo(now - 60_000 - 1_000));
    assertThat(points(history(vertx, 3_600_000)).size()).isGreaterThan(recent.size());
  }

  static List<JsonObject> points(JsonArray arr) {
    List<JsonObject> out = new ArrayList<>();
    arr.forEach(o -> out.add((JsonObject) o));
    return out;
  }
}

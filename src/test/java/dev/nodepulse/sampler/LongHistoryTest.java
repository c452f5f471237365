package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.ask;
import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A history answer is bounded: a day of points at 1 Hz comes back as at most {@link Downsample#MAX_POINTS} points,
 * each the mean of its step, with downtime still a gap; a short window is answered point by point.
 */
@ExtendWith(VertxExtension.class)
class LongHistoryTest {
  private static final long DAY = 86_400_000L;

  @Test
  void aDayOfHistoryIsAnsweredInBoundedStepsWithItsGapKept(Vertx vertx, @TempDir Path dir) throws Exception {
    ShiftableClock clock = new ShiftableClock();
    long now = clock.millis();
    long start = now - DAY + 60_000; // the stored day ends a minute before the sampler starts
    List<Point> stored = new ArrayList<>();
    long gapFrom = start + DAY / 2;
    for (long t = start; t < now - 60_000; t += 1000) {
      if (t >= gapFrom && t < gapFrom + 600_000) {
        continue; // ten minutes down
      }
      // cpu alternates 10 and 30 by the second: every step of whole seconds averages close to 20
      stored.add(new Point(t, (t / 1000) % 2 == 0 ? 10.0 : 30.0, 20.0));
    }
    stored.add(Point.gap(gapFrom - 1));
    stored.add(Point.gap(gapFrom + 600_000));
    try (HistoryStore store = HistoryStore.open(dir)) {
      store.write(stored);
    }

    Config config = Config.forTest(dir, "--sample-interval", "1s", "--history", "1d");
    await(vertx.deployVerticle(new SamplerVerticle(config, clock)));
    awaitSamples(vertx, 1);

    JsonObject day = ask(vertx, SamplerVerticle.HISTORY, new JsonObject().put("windowMs", DAY));
    JsonArray points = day.getJsonArray("points");
    long step = day.getLong("stepMs");
    assertThat(step).isEqualTo(DAY / Downsample.MAX_POINTS);
    assertThat(points.size()).isBetween(3_500, Downsample.MAX_POINTS + 1); // fewer by the gap's empty steps
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      times.add(points.getJsonObject(i).getLong("t"));
    }
    assertThat(times).isSorted().doesNotHaveDuplicates();
    // the means are the data's: every whole step away from the gap averages 10 and 30 to 20 (24 s steps)
    for (int i = 1; i < points.size() - 1; i++) {
      JsonObject p = points.getJsonObject(i);
      if (p.getValue("cpu") != null && p.getLong("t") < now - 60_000 - step) {
        assertThat(p.getDouble("cpu")).isBetween(19.0, 21.0);
        assertThat(p.getDouble("avg1m")).isEqualTo(20.0);
      }
    }
    // the ten minutes down are a break: gap points at both ends and no figures between them
    List<JsonObject> inGap = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      JsonObject p = points.getJsonObject(i);
      if (p.getLong("t") >= gapFrom - step && p.getLong("t") <= gapFrom + 600_000) {
        inGap.add(p);
      }
    }
    assertThat(inGap).isNotEmpty().allSatisfy(p -> assertThat(p.getValue("cpu")).isNull());

    // an hour is answered point by point, without a step
    JsonObject hour = ask(vertx, SamplerVerticle.HISTORY, new JsonObject().put("windowMs", 3_600_000L));
    assertThat(hour.containsKey("stepMs")).isFalse();
    assertThat(hour.getJsonArray("points").size()).isBetween(3_500, 3_601);
  }

  @Test
  void stepsAreMeansAndAStepHoldingAGapIsAGap() {
    List<Point> points = List.of(new Point(0, 10.0, 5.0), new Point(1000, 20.0, 7.0), new Point(2000, 40.0, null),
        Point.gap(3000), new Point(3500, 50.0, 50.0), new Point(4000, 60.0, 60.0));
    assertThat(Downsample.of(points, 0, 2000)).containsExactly(
        new Point(0, 15.0, 6.0), Point.gap(2000), new Point(4000, 60.0, 60.0));
    assertThat(Downsample.stepMs(3_600, 3_600_000)).isZero();
    assertThat(Downsample.stepMs(7_200, 7_200_000)).isEqualTo(2000);
  }
}

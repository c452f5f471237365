package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The page tells a gap from the agent's own pace: history points one --sample-interval apart (1 s or
 * 5 s) are a line; only the downtime is a gap. The real agent, started on a store that holds the hour
 * before it was down for five minutes, marks that downtime itself.
 */
class ChartGapsIT {

  @ParameterizedTest(name = "points {0} ms apart")
  @ValueSource(longs = {1000, 5000})
  void onlyTheDowntimeIsAGap(long stepMs, @TempDir Path dir) throws Exception {
    long started = System.currentTimeMillis(); // the stored hour ends five minutes before this
    try (FixtureAgent fake = new FixtureAgent(dir, List.of(0, 1), stepMs + "ms", stepMs, 300_000);
        Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1440, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + fake.port() + "/");
      page.waitForFunction("() => nodepulse.samples >= 2", null, new Page.WaitForFunctionOptions().setTimeout(60_000));
      Number points = (Number) page.evaluate("() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.y != null).length");
      @SuppressWarnings("unchecked")
      List<Number> gaps = (List<Number>) page.evaluate(
          "() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.y == null).map(p => p.x)");
      assertThat(points.longValue()).as("points of the 55 minutes before the downtime").isGreaterThan(3_000_000 / stepMs);
      // the downtime: its start, as the agent marked it, is the only gap among the stored points; its end
      // comes after. Later gaps are live stalls of a busy machine, which the agent and the page mark as they should.
      long downtimeMid = started - 150_000;
      assertThat(gaps.stream().filter(x -> x.longValue() < downtimeMid)).as("null points up to the downtime: %s", gaps)
          .hasSize(1);
      assertThat(gaps.stream().filter(x -> x.longValue() > downtimeMid)).as("the downtime's end: %s", gaps).isNotEmpty();
      assertThat(w.errors()).isEmpty();
    }
  }
}

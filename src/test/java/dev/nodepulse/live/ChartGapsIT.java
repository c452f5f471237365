package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import dev.nodepulse.web.LiveFakeAgent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The page tells a gap from the agent's own pace: history points one --sample-interval apart (1 s or
 * 5 s) are a line; only the canned hour's one stretch of downtime is a gap.
 */
class ChartGapsIT {

  @ParameterizedTest(name = "points {0} ms apart")
  @ValueSource(longs = {1000, 5000})
  void onlyTheDowntimeIsAGap(long stepMs) throws Exception {
    try (LiveFakeAgent fake = new LiveFakeAgent(0, 2, -1, stepMs); Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1440, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + fake.port() + "/");
      page.waitForFunction("() => nodepulse.samples >= 2", null, new Page.WaitForFunctionOptions().setTimeout(20_000));
      Number points = (Number) page.evaluate("() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.y != null).length");
      Number gaps = (Number) page.evaluate("() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.y == null).length");
      assertThat(points.longValue()).as("points of the hour").isGreaterThan(3_000_000 / stepMs);
      // the downtime: its start (from the agent, with 1 s points) and its end (seen by the page)
      assertThat(gaps.intValue()).as("null points").isBetween(1, 2);
      assertThat(w.errors()).isEmpty();
    }
  }
}

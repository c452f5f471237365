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
    try (FixtureAgent fake = new FixtureAgent(dir, List.of(0, 1), stepMs + "ms", stepMs, 300_000);
        Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1440, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + fake.port() + "/");
      page.waitForFunction("() => nodepulse.samples >= 2", null, new Page.WaitForFunctionOptions().setTimeout(60_000));
      Number points = (Number) page.evaluate("() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.y != null).length");
      Number gaps = (Number) page.evaluate("() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.y == null).length");
      assertThat(points.longValue()).as("points of the 55 minutes before the downtime").isGreaterThan(3_000_000 / stepMs);
      // the downtime: its start and its end, as the agent marked them; nothing else
      assertThat(gaps.intValue()).as("null points").isEqualTo(2);
      assertThat(w.errors()).isEmpty();
    }
  }
}

package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The per-core panel stays readable from 2 to 64 cores, wide and narrow: one tile per core, none
 * narrower than a label and its value, none overlapping, and the page never scrolls sideways.
 * The real agent samples a fixture procfs with that many CPUs (the machine running the tests has only a few).
 */
class PerCoreIT {

  @ParameterizedTest(name = "{0} cores at {1} px")
  @CsvSource({"2, 1440", "64, 1440", "64, 420", "8, 768"})
  void oneReadableTilePerCore(int cores, int width, @TempDir Path dir) throws Exception {
    try (FixtureAgent fake = new FixtureAgent(dir, IntStream.range(0, cores).boxed().toList(), "1s", 0, 0);
        Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(width, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + fake.port() + "/");
      page.waitForFunction("n => document.querySelectorAll('#cores .core').length === n && nodepulse.samples >= 2", cores,
          new Page.WaitForFunctionOptions().setTimeout(60_000));

      @SuppressWarnings("unchecked")
      List<Map<String, Number>> boxes = (List<Map<String, Number>>) page.evaluate("""
          () => [...document.querySelectorAll('#cores .core')].map(t => {
            const r = t.getBoundingClientRect(), head = t.querySelector('.head');
            return {x: r.x, y: r.y, w: r.width, h: r.height, fits: head.scrollWidth <= head.clientWidth ? 1 : 0};
          })""");
      assertThat(boxes).hasSize(cores).allSatisfy(b -> {
        assertThat(b.get("w").doubleValue()).as("tile width").isGreaterThanOrEqualTo(60);
        assertThat(b.get("fits").intValue()).as("label and value fit the tile").isEqualTo(1);
      });
      for (int i = 0; i < boxes.size(); i++) {
        for (int j = i + 1; j < boxes.size(); j++) {
          assertThat(overlap(boxes.get(i), boxes.get(j))).as("tiles %d and %d overlap", i, j).isFalse();
        }
      }
      Number overflow = (Number) page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth");
      assertThat(overflow.intValue()).as("sideways scroll").isLessThanOrEqualTo(0);
      assertThat(w.errors()).isEmpty();
    }
  }

  @Test
  void tilesAreNamedByCpuNumberWhenOneIsOffline(@TempDir Path dir) throws Exception {
    try (FixtureAgent fake = new FixtureAgent(dir, List.of(0, 2, 3), "1s", 0, 0); Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1440, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + fake.port() + "/");
      page.waitForFunction("() => document.querySelectorAll('#cores .core').length === 3 && nodepulse.samples >= 2", null,
          new Page.WaitForFunctionOptions().setTimeout(60_000));
      Object labels = page.evaluate("() => [...document.querySelectorAll('#cores .core .head span')].map(s => s.textContent)");
      assertThat(labels).isEqualTo(List.of("cpu0", "cpu2", "cpu3"));
      assertThat(w.errors()).isEmpty();
    }
  }

  private static boolean overlap(Map<String, Number> a, Map<String, Number> b) {
    double ax = a.get("x").doubleValue(), ay = a.get("y").doubleValue(), bx = b.get("x").doubleValue(), by = b.get("y").doubleValue();
    return ax + a.get("w").doubleValue() - 0.5 > bx && bx + b.get("w").doubleValue() - 0.5 > ax
        && ay + a.get("h").doubleValue() - 0.5 > by && by + b.get("h").doubleValue() - 0.5 > ay;
  }
}

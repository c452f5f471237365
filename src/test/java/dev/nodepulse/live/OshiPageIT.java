package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.Route;
import dev.nodepulse.AgentOutput;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page in real Chromium on an agent sampling through OSHI ({@code --sampler oshi}, the packaged jar in its own
 * JVM on this machine): every panel fills as on procfs, the agent panel names the source, and what a platform lacks
 * (as the agent reports it on Windows) is said, not shown as 0.
 */
class OshiPageIT {

  @Test
  void thePageShowsTheOshiSamplesAndSaysWhatIsAbsent(@TempDir Path dir) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"), "--http-port", "0",
        "--data-dir", dir.resolve("data").toString(), "--mode", "standalone", "--sampler", "oshi", "--sample-interval", "500ms"));
    Process agent = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (Chromium chromium = Chromium.launch()) {
      int port = AgentOutput.awaitPort(agent, out, 90);
      Chromium.Watched w = chromium.open(1440, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + port + "/");
      page.waitForFunction("() => nodepulse.samples >= 2 && document.querySelectorAll('#parts .part').length > 0"
          + " && /source oshi/.test(document.getElementById('agent').textContent)", null,
          new Page.WaitForFunctionOptions().setTimeout(60_000));

      long cpus = Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
      assertThat(page.locator("#cores .core").count()).isEqualTo((int) cpus);
      assertThat(page.textContent("#cpu-now")).matches("\\d+(\\.\\d+)? ?%");
      assertThat(page.textContent("#load")).matches("\\d+\\.\\d\\d / \\d+\\.\\d\\d / \\d+\\.\\d\\d");
      assertThat(page.textContent("#mem-text")).contains(" of ");
      assertThat(page.textContent("#parts")).contains("/");
      assertThat(page.textContent("#host")).contains(Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
      assertThat(page.textContent("#agent")).doesNotContain("absent"); // Linux counts every figure
      assertThat(w.errors()).isEmpty();

      // the same agent as it answers on Windows: no load average, no nice, iowait or steal time
      page.route("**/healthz", route -> {
        JsonObject body = new JsonObject(route.fetch().text());
        body.getJsonObject("components").getJsonObject("sampler").put("absent", new JsonArray(List.of("load", "nice", "iowait", "steal")));
        route.fulfill(new Route.FulfillOptions().setStatus(200).setContentType("application/json").setBody(body.encode()));
      });
      page.waitForFunction("() => /absent load, nice, iowait, steal/.test(document.getElementById('agent').textContent)", null,
          new Page.WaitForFunctionOptions().setTimeout(30_000));
      assertThat(w.errors()).isEmpty();
    } finally {
      agent.destroy();
      if (!agent.waitFor(30, TimeUnit.SECONDS)) {
        agent.destroyForcibly();
      }
    }
  }
}

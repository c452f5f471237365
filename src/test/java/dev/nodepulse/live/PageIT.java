package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.playwright.Page;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.sampler.SamplerVerticle;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live page in Debian's Chromium against a real agent. */
class PageIT {
  private static final Duration START = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dataDir;

  private static Agent start(Config config) throws Exception {
    Agent agent = Agent.start(config).await(START.toSeconds(), TimeUnit.SECONDS);
    // the page is opened on a ready agent: one that has a sample (before it, /readyz is 503, which the browser logs)
    await().atMost(START).pollInterval(Duration.ofMillis(200)).until(() -> {
      try {
        agent.vertx().eventBus().request(SamplerVerticle.LATEST, new JsonObject()).await(2, TimeUnit.SECONDS);
        return status(agent.httpPort(), "/readyz") != 503;
      } catch (Exception notYet) {
        return false;
      }
    });
    return agent;
  }

  private static int status(int port, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int post(int port, String path, String contentType, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
        .header("content-type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static Object js(Page page, String expression) {
    return page.evaluate(expression);
  }

  private static void waitFor(Page page, String expression, Duration timeout) {
    page.waitForFunction(expression, null, new Page.WaitForFunctionOptions().setTimeout(timeout.toMillis()).setPollingInterval(100));
  }

  /**
   * The one console line allowed: while the task API is not there (404/503), the browser itself logs
   * the failed fetch of the task list ("Failed to load resource"); the page stays quiet and says "no tasks".
   */
  private static boolean withoutTaskApi(int port, String error) {
    int tasks = status(port, "/api/v1/tasks");
    return (tasks == 404 || tasks == 503)
        && error.matches("error: Failed to load resource: the server responded with a status of (404|503) .*"
            + "@ http://127\\.0\\.0\\.1:" + port + "/api/v1/tasks:.*");
  }

  @Test
  void thePageIsLiveLocalAndQuiet() throws Exception {
    // the sum-check task below calls the agent's own API, which the destination policy denies unless a
    // single-address allow entry re-opens it
    Agent agent = start(Config.forTest(dataDir, "--destination-allow", "127.0.0.1"));
    int port = agent.httpPort();
    try (Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1440, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + port + "/");
      waitFor(page, "() => window.nodepulse && nodepulse.state === 'connected' && nodepulse.samples >= 1", Duration.ofSeconds(30));

      // a point per sample: the live line grows by one a second
      int before = ((Number) js(page, "() => nodepulse.samples")).intValue();
      double lastX = ((Number) js(page, "() => nodepulse.cpuChart.data.datasets[0].data.at(-1).x")).doubleValue();
      long t0 = System.nanoTime();
      waitFor(page, "() => nodepulse.samples >= " + (before + 5), Duration.ofSeconds(20));
      double seconds = (System.nanoTime() - t0) / 1e9;
      int added = ((Number) js(page, "() => nodepulse.cpuChart.data.datasets[0].data.filter(p => p.x > " + lastX + ").length")).intValue();
      assertThat(added).as("points added for 5 samples").isBetween(5, 7);
      assertThat(seconds).as("5 samples at 1 Hz").isBetween(3.0, 9.0);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> last = (List<Map<String, Object>>) js(page,
          "() => nodepulse.cpuChart.data.datasets[0].data.slice(-5)");
      for (int i = 1; i < last.size(); i++) {
        double dt = ((Number) last.get(i).get("x")).doubleValue() - ((Number) last.get(i - 1).get("x")).doubleValue();
        assertThat(dt).as("time between live points, ms").isBetween(300.0, 2500.0);
        assertThat(last.get(i).get("y")).as("live CPU values").isInstanceOf(Number.class);
      }
      // the one-minute line is there with values
      Number avg = (Number) js(page, "() => nodepulse.cpuChart.data.datasets[1].data.filter(p => p.y != null).length");
      assertThat(avg.intValue()).isGreaterThanOrEqualTo(5);

      // host facts and the busiest processes
      waitFor(page, "() => document.querySelectorAll('#host dd').length >= 4 && document.querySelectorAll('#procs tr').length >= 1",
          Duration.ofSeconds(15));
      assertThat(page.textContent("#host")).contains("kernel", "cores");
      assertThat(page.textContent("#node-name")).isNotBlank().isNotEqualTo("…");
      waitFor(page, "() => document.querySelectorAll('#agent .row').length >= 4", Duration.ofSeconds(15));
      assertThat(page.getAttribute("#conn", "data-state")).isEqualTo("connected");

      // tasks running, if the task API is there: a long pi computation and a request every 2 s to the
      // agent's own sum endpoint; then the screenshot for the README
      int pi = post(port, "/api/v1/tasks", "application/json", """
          {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
           "metadata": {"name": "pi-digits", "namespace": "default"},
           "spec": {"title": "Pi to 100,000 digits", "delay": "1s", "target": {"compute": {"pi": {"digits": 100000}}}}}""");
      int sum = post(port, "/api/v1/tasks", "application/json", """
          {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
           "metadata": {"name": "sum-check", "namespace": "default"},
           "spec": {"title": "Ask the sum endpoint", "every": "2s",
                    "target": {"http": {"url": "http://127.0.0.1:%d/api/v1/sum?a=3&b=3", "timeout": "2s"}}}}""".formatted(port));
      if (pi == 201 || pi == 200) {
        assertThat(sum).as("second task accepted").isIn(200, 201);
        waitFor(page, "() => document.querySelector('#tasks .progress') !== null", Duration.ofSeconds(30));
        waitFor(page, "() => nodepulse.runsChart.data.datasets[0].data.length >= 3", Duration.ofSeconds(30));
        assertThat(page.textContent("#tasks")).contains("Pi to 100,000 digits", "Ask the sum endpoint", "Running");
        assertThat(page.isVisible("#no-tasks")).isFalse();
      } else {
        assertThat(page.isVisible("#no-tasks")).as("without a task API the panel says so").isTrue();
      }
      waitFor(page, "() => nodepulse.samples >= " + (before + 10), Duration.ofSeconds(30));
      // the README's picture: refresh it with -Dnodepulse.screenshot=docs/page.png
      Path png = Path.of(System.getProperty("nodepulse.screenshot", "target/page.png"));
      Files.createDirectories(png.getParent());
      page.screenshot(new Page.ScreenshotOptions().setPath(png).setFullPage(true));

      String origin = "127.0.0.1:" + port;
      assertThat(w.requests()).as("every request the page made").isNotEmpty()
          .allSatisfy(url -> assertThat(URI.create(url).getAuthority()).isEqualTo(origin));
      assertThat(w.requests()).anyMatch(u -> u.contains("/live/"));
      assertThat(w.requests()).as("the page shows an hour: it asks for no more history, whatever --history is")
          .filteredOn(u -> u.contains("/api/v1/history")).isNotEmpty().allMatch(u -> u.endsWith("/api/v1/history?window=1h"));
      assertThat(w.errors()).as("console and page errors").allSatisfy(e -> assertThat(withoutTaskApi(port, e)).as(e).isTrue());
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void afterARestartThePageReconnectsByItselfAndShowsTheDowntimeAsAGap() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Config config = Config.forTest(dataDir, "--http-port", String.valueOf(port));
    Agent first = start(config);
    Agent second = null;
    try (Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1280, 800);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + port + "/");
      waitFor(page, "() => window.nodepulse && nodepulse.state === 'connected' && nodepulse.samples >= 3", Duration.ofSeconds(30));
      double lastBefore = ((Number) js(page, "() => { const d = nodepulse.cpuChart.data.datasets[0].data; return d[d.length - 1].x; }")).doubleValue();

      first.stop().await(30, TimeUnit.SECONDS);
      first = null;
      waitFor(page, "() => nodepulse.state === 'offline'", Duration.ofSeconds(20));
      // stay down through two failed reconnects (1 s, then 2 s of backoff): a few seconds of downtime
      waitFor(page, "() => nodepulse.states.filter(s => s === 'reconnecting').length >= 2 && nodepulse.state === 'offline'",
          Duration.ofSeconds(30));
      assertThat(page.getAttribute("#conn", "data-state")).isEqualTo("offline");

      second = start(config);
      assertThat(second.httpPort()).isEqualTo(port);
      waitFor(page, "() => nodepulse.state === 'connected' && nodepulse.cpuChart.data.datasets[0].data.some(p => p.x > "
          + (lastBefore + 3000) + " && p.y != null)", Duration.ofSeconds(60));
      assertThat(page.getAttribute("#conn", "data-state")).isEqualTo("connected");
      @SuppressWarnings("unchecked")
      List<String> states = (List<String>) js(page, "() => nodepulse.states");
      assertThat(states).containsSubsequence("connected", "offline", "connected");

      // old points, then at least one null point, then new points: a gap, not a bridge
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> data = (List<Map<String, Object>>) js(page, "() => nodepulse.cpuChart.data.datasets[0].data");
      assertThat(data).anySatisfy(p -> assertThat(((Number) p.get("x")).doubleValue()).isLessThanOrEqualTo(lastBefore));
      List<Map<String, Object>> between = data.stream()
          .filter(p -> ((Number) p.get("x")).doubleValue() > lastBefore).toList();
      int firstNull = -1;
      for (int i = 0; i < between.size(); i++) {
        if (between.get(i).get("y") == null) {
          firstNull = i;
          break;
        }
      }
      assertThat(firstNull).as("a null point after the last point before the restart").isGreaterThanOrEqualTo(0);
      assertThat(between.subList(firstNull, between.size())).as("new points after the gap")
          .anySatisfy(p -> assertThat(p.get("y")).isNotNull());
      assertThat(w.errors()).as("console and page errors").allSatisfy(e -> assertThat(withoutTaskApi(port, e)
          || e.contains("ERR_CONNECTION_REFUSED") || e.contains("/live/")).as("only refused connections while the agent was down: " + e).isTrue());
    } finally {
      if (first != null) {
        first.stop().await(30, TimeUnit.SECONDS);
      }
      if (second != null) {
        second.stop().await(30, TimeUnit.SECONDS);
      }
    }
  }
}

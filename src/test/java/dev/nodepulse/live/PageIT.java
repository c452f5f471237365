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

  /** An agent started and ready, with a first sample (RunNowPageIT starts its agents so too). */
  static Agent start(Config config) throws Exception {
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

  static final String PI = """
      {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
       "metadata": {"name": "pi-digits", "namespace": "default"},
       "spec": {"title": "Pi to 100,000 digits", "delay": "1s", "target": {"compute": {"pi": {"digits": 100000}}}}}""";
  /** A run the default destination policy denies (cloud metadata). */
  static final String DENIED = """
      {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
       "metadata": {"name": "metadata-probe", "namespace": "default"},
       "spec": {"title": "Read the cloud metadata", "delay": "1s",
                "target": {"http": {"url": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}}}}""";
  /** A file in the tasks dir that is not a valid task: its field is named. */
  static final String BAD_URL = """
      metadata: {name: bad-url}
      spec:
        delay: 1s
        target: {http: {url: "ftp://example.test/file"}}
      """;

  static String sumTask(int port) {
    return """
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "sum-check", "namespace": "default"},
         "spec": {"title": "Ask the sum endpoint", "every": "2s",
                  "target": {"http": {"url": "http://127.0.0.1:%d/api/v1/sum?a=3&b=3", "timeout": "2s"}}}}""".formatted(port);
  }

  private static int postTask(int port, String json) throws Exception {
    return post(port, "/api/v1/tasks", "application/json", json);
  }

  private static Object js(Page page, String expression) {
    return page.evaluate(expression);
  }

  private static void waitFor(Page page, String expression, Duration timeout) {
    page.waitForFunction(expression, null, new Page.WaitForFunctionOptions().setTimeout(timeout.toMillis()).setPollingInterval(100));
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

      // tasks: a long pi computation, a request every 2 s to the agent's own sum endpoint, and one the
      // destination policy denies; then the screenshot for the README
      assertThat(postTask(port, PI)).as("pi task accepted").isEqualTo(201);
      assertThat(postTask(port, sumTask(port))).as("sum task accepted").isEqualTo(201);
      assertThat(postTask(port, DENIED)).as("denied task accepted").isEqualTo(201);
      waitFor(page, "() => document.querySelector('#tasks .progress') !== null", Duration.ofSeconds(30));
      waitFor(page, "() => nodepulse.runsChart.data.datasets[0].data.length >= 3", Duration.ofSeconds(30));
      waitFor(page, "() => document.querySelector('tr.why') !== null", Duration.ofSeconds(30));
      assertThat(page.textContent("#tasks")).contains("Pi to 100,000 digits", "Ask the sum endpoint", "Running");
      assertThat(page.isVisible("#no-tasks")).isFalse();
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
      assertThat(page.isVisible("#cpu-wait")).as("no waiting note once samples came").isFalse();
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTaskRowSaysWhyItFailedAndOpensItsRunHistoryAndEveryColumnFitsAt1280(@TempDir Path tasksDir) throws Exception {
    Files.writeString(tasksDir.resolve("bad-url.yaml"), BAD_URL);
    // the sum-check task calls the agent's own API: its listeners are denied to tasks unless allowed exactly
    Agent agent = start(Config.forTest(dataDir, "--tasks-dir", tasksDir.toString(), "--destination-allow", "127.0.0.1"));
    int port = agent.httpPort();
    try (Chromium chromium = Chromium.launch()) {
      assertThat(postTask(port, sumTask(port))).isEqualTo(201);
      assertThat(postTask(port, DENIED)).isEqualTo(201);
      Chromium.Watched w = chromium.open(1280, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + port + "/");
      waitFor(page, "() => window.nodepulse && nodepulse.state === 'connected' && document.querySelectorAll('tr.why').length === 2",
          Duration.ofSeconds(30));

      // why, in words on the row (not in a hover): the file and field of a bad file, the reason a run was denied
      String bad = page.innerText("tr.task[data-key='default/bad-url'] + tr.why");
      assertThat(bad).contains("not a valid task", "bad-url.yaml", "spec.target.http.url", "ftp://example.test/file");
      String denied = page.innerText("tr.task[data-key='default/metadata-probe'] + tr.why");
      assertThat(denied).contains("last run denied", "169.254.169.254");
      assertThat(page.isVisible("tr.task[data-key='default/metadata-probe'] + tr.why")).isTrue();
      assertThat(page.innerText("tr.task[data-key='default/sum-check']")).contains("Ask the sum endpoint", "http");
      assertThat(page.locator("tr.task[data-key='default/sum-check'] + tr.why").count()).as("no reason for a task that works").isZero();

      // every column of the task table is inside its card at 1280 px: nothing behind a scrollbar
      @SuppressWarnings("unchecked")
      Map<String, Object> fit = (Map<String, Object>) js(page, """
          () => { const wrap = document.getElementById('tasks-wrap'), box = wrap.getBoundingClientRect();
            return {scroll: wrap.scrollWidth - wrap.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth,
              columns: [...wrap.querySelectorAll('thead th')].map(th => { const r = th.getBoundingClientRect();
                return {name: th.textContent, inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 ? 1 : 0,
                        fits: th.scrollWidth <= th.clientWidth ? 1 : 0, width: r.width}; })}; }""");
      assertThat(((Number) fit.get("scroll")).intValue()).as("task table scrolls sideways").isLessThanOrEqualTo(0);
      assertThat(((Number) fit.get("page")).intValue()).as("page scrolls sideways").isLessThanOrEqualTo(0);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> columns = (List<Map<String, Object>>) fit.get("columns");
      assertThat(columns).extracting(c -> c.get("name")).containsExactly("task", "target", "when", "phase", "next run", "last run");
      assertThat(columns).allSatisfy(c -> {
        assertThat(((Number) c.get("inside")).intValue()).as("column %s inside the card", c.get("name")).isEqualTo(1);
        assertThat(((Number) c.get("fits")).intValue()).as("heading %s readable", c.get("name")).isEqualTo(1);
      });

      // a row opens its run history, newest first, with the latest output a click away
      waitFor(page, "() => document.querySelector(\"tr.task[data-key='default/sum-check'] .pill.Succeeded\") !== null", Duration.ofSeconds(30));
      page.click("tr.task[data-key='default/sum-check']");
      waitFor(page, "() => document.querySelectorAll('tr.history tr.run').length >= 1", Duration.ofSeconds(20));
      assertThat(page.innerText("tr.history")).contains("succeeded", "newest first");
      assertThat(page.innerText("tr.history .who")).as("who claimed the run").isEqualTo("claimed by " + agent.config().nodeName());
      @SuppressWarnings("unchecked")
      List<String> started = (List<String>) js(page,
          "() => [...document.querySelectorAll('tr.history tr.run td:first-child')].map(td => td.title.match(/started (\\S+)/)[1])");
      assertThat(started).as("newest first").isSortedAccordingTo(java.util.Comparator.reverseOrder());
      String href = page.getAttribute("tr.history a.output", "href");
      assertThat(href).isEqualTo("/api/v1/tasks/default/sum-check/runs/latest/output");
      HttpResponse<String> output = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + href))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(output.statusCode()).isEqualTo(200);
      assertThat(output.body()).contains("6");
      // the denied run's reason in the history too
      page.click("tr.task[data-key='default/metadata-probe'] button.toggle");
      waitFor(page, "() => [...document.querySelectorAll('tr.history')].some(h => h.textContent.includes('denied'))", Duration.ofSeconds(20));
      assertThat(page.locator("tr.history td.err").first().innerText()).contains("169.254.169.254");
      page.locator("section:has(#tasks)").screenshot(new com.microsoft.playwright.Locator.ScreenshotOptions()
          .setPath(Path.of("target/page-tasks-1280.png")));
      // closes again
      page.click("tr.task[data-key='default/sum-check']");
      waitFor(page, "() => document.querySelectorAll('tr.history').length === 1", Duration.ofSeconds(10));
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * A long task list is shown a page at a time: the page asks for the first page (never the whole list), shows
   * how many more there are, fetches the next page on "more", and a change to a task past what it shows does not
   * pull that task in out of order.
   */
  @Test
  void aLongTaskListIsShownAPageAtATime() throws Exception {
    Agent agent = start(Config.forTest(dataDir));
    int port = agent.httpPort();
    try (Chromium chromium = Chromium.launch()) {
      for (int i = 0; i < 230; i++) {
        String task = "{\"metadata\": {\"name\": \"t" + String.format("%03d", i) + "\"},"
            + " \"spec\": {\"delay\": \"24h\", \"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}}}";
        assertThat(postTask(port, task)).isEqualTo(201);
      }
      Chromium.Watched w = chromium.open(1280, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + port + "/");
      waitFor(page, "() => document.querySelectorAll('#tasks tr.task').length === 100", Duration.ofSeconds(30));
      assertThat(page.textContent("#task-count")).isEqualTo("100 shown, 130 more");
      assertThat(page.isVisible("#more-tasks")).isTrue();
      assertThat(page.innerText("#tasks tr.task:last-of-type")).contains("default/t099");

      // a change to a task past the page is not shown; one inside it is
      assertThat(postTask(port, "{\"metadata\": {\"name\": \"t200\"}, \"spec\": {\"title\": \"changed\","
          + " \"delay\": \"24h\", \"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}}}")).isEqualTo(200);
      assertThat(postTask(port, "{\"metadata\": {\"name\": \"t050\"}, \"spec\": {\"title\": \"edited\","
          + " \"delay\": \"24h\", \"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}}}")).isEqualTo(200);
      waitFor(page, "() => document.querySelector(\"tr.task[data-key='default/t050']\").innerText.includes('edited')",
          Duration.ofSeconds(15));
      assertThat(page.locator("tr.task[data-key='default/t200']").count()).isZero();

      page.click("#more-tasks");
      waitFor(page, "() => document.querySelectorAll('#tasks tr.task').length === 200", Duration.ofSeconds(15));
      assertThat(page.textContent("#task-count")).isEqualTo("200 shown, 30 more");
      page.click("#more-tasks");
      waitFor(page, "() => document.querySelectorAll('#tasks tr.task').length === 230", Duration.ofSeconds(15));
      assertThat(page.textContent("#task-count")).isEqualTo("230");
      assertThat(page.isVisible("#more-tasks")).isFalse();
      assertThat(page.innerText("tr.task[data-key='default/t200']")).contains("changed");
      @SuppressWarnings("unchecked")
      List<String> keys = (List<String>) js(page, "() => [...document.querySelectorAll('#tasks tr.task')].map(r => r.dataset.key)");
      assertThat(keys).hasSize(230).isSorted().doesNotHaveDuplicates();

      assertThat(w.requests()).as("the page asks for pages, never the whole list")
          .filteredOn(u -> u.contains("/api/v1/tasks?") || u.endsWith("/api/v1/tasks")).hasSize(3)
          .allMatch(u -> u.contains("limit=100"));
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }

  /** A task every node runs ({@code nodes: all}): its history shows each node's own state. */
  static String everyNode(String name, String target) {
    return """
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "%s", "namespace": "default"},
         "spec": {"delay": "1s", "nodes": "all", "target": {"http": {"url": "%s", "timeout": "2s"}}}}""".formatted(name, target);
  }

  private static JsonObject taskStatus(int port, String name) throws Exception {
    return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/api/v1/tasks/default/" + name)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
        .body()).getJsonObject("status");
  }

  @Test
  void aNodesAllTaskShowsEachNodesStateInItsRunHistory() throws Exception {
    Agent agent = start(Config.forTest(dataDir, "--destination-allow", "127.0.0.1"));
    int port = agent.httpPort();
    String node = agent.config().nodeName();
    try (Chromium chromium = Chromium.launch()) {
      assertThat(postTask(port, everyNode("everywhere", "http://127.0.0.1:" + port + "/api/v1/sum?a=1&b=2"))).isEqualTo(201);
      assertThat(postTask(port, everyNode("everywhere-denied", "http://169.254.169.254/latest/meta-data/"))).isEqualTo(201);
      for (String name : List.of("everywhere", "everywhere-denied")) { // both ran on this node
        await().atMost(START).pollInterval(Duration.ofMillis(500)).until(() -> {
          JsonObject st = taskStatus(port, name);
          return st.getJsonArray("nodes") != null && !st.getJsonArray("nodes").isEmpty()
              && st.getJsonArray("nodes").getJsonObject(0).getJsonObject("lastRun") != null;
        });
      }
      Chromium.Watched w = chromium.open(1280, 900);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + port + "/");
      waitFor(page, "() => window.nodepulse && nodepulse.state === 'connected' && document.querySelectorAll("
          + "\"tr.task[data-key^='default/everywhere']\").length === 2", Duration.ofSeconds(60));
      for (String name : List.of("everywhere", "everywhere-denied")) {
        page.click("tr.task[data-key='default/" + name + "'] button.toggle");
        // one history open at a time (a failed task's row is followed by its reason, then its history)
        waitFor(page, "() => document.querySelector('tr.history .who .pill.node') !== null", Duration.ofSeconds(20));
        // what the agent says about each node, and what the page shows for it
        JsonObject status = taskStatus(port, name);
        List<String> expected = status.getJsonArray("nodes").stream().map(o -> (JsonObject) o)
            .map(n -> n.getString("node") + ": " + n.getJsonObject("lastRun").getString("outcome").toLowerCase()).toList();
        assertThat(expected).as("this agent's own entry").hasSize(1);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> pills = (List<Map<String, Object>>) js(page, "() => [...document.querySelectorAll("
            + "'tr.history .who .pill.node')].map(p => ({text: p.textContent, "
            + "ok: p.classList.contains('Succeeded') ? 1 : 0, failed: p.classList.contains('Failed') ? 1 : 0, title: p.title}))");
        assertThat(pills).extracting(p -> p.get("text")).as("one pill per node, with its state").isEqualTo(expected);
        Map<String, Object> pill = pills.get(0);
        if (name.equals("everywhere")) {
          assertThat(pill.get("text")).isEqualTo(node + ": succeeded");
          assertThat(((Number) pill.get("ok")).intValue()).as("shown as succeeded").isEqualTo(1);
        } else {
          assertThat(pill.get("text")).isEqualTo(node + ": denied");
          assertThat(((Number) pill.get("failed")).intValue()).as("shown as failed").isEqualTo(1);
          assertThat((String) pill.get("title")).as("the node's error on hover").contains("169.254.169.254");
        }
        page.locator("section:has(#tasks)").screenshot(new com.microsoft.playwright.Locator.ScreenshotOptions()
            .setPath(Path.of("target/page-nodes-" + name + ".png")));
        page.click("tr.task[data-key='default/" + name + "'] button.toggle"); // closes again
        waitFor(page, "() => document.querySelectorAll('tr.history').length === 0", Duration.ofSeconds(10));
      }
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void beforeTheFirstSampleThePageSaysItIsWaitingForData() throws Exception {
    // the agent's concerns as Agent deploys them, with the sampler's first sample an hour away and a
    // one-minute interval: no sample and no history while the page is looked at
    Config config = Config.forTest(dataDir, "--sample-interval", "1m");
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    dev.nodepulse.web.WebVerticle web = new dev.nodepulse.web.WebVerticle(config, Agent.COMPONENTS);
    try (Chromium chromium = Chromium.launch()) {
      vertx.deployVerticle(new dev.nodepulse.metrics.MetricsVerticle(config)).await(60, TimeUnit.SECONDS);
      vertx.deployVerticle(SamplerVerticle.withFirstSampleAfter(config, 3_600_000)).await(60, TimeUnit.SECONDS);
      vertx.deployVerticle(new dev.nodepulse.tasks.TasksVerticle(config)).await(60, TimeUnit.SECONDS);
      vertx.deployVerticle(web).await(60, TimeUnit.SECONDS);
      Chromium.Watched w = chromium.open(1280, 800);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + web.httpPort() + "/");
      waitFor(page, "() => window.nodepulse && nodepulse.state === 'connected' && document.querySelectorAll('#agent .row').length >= 1",
          Duration.ofSeconds(30));
      assertThat(js(page, "() => nodepulse.samples")).isEqualTo(0);
      assertThat(page.isVisible("#cpu-wait")).isTrue();
      assertThat(page.innerText("#cpu-wait")).isEqualTo("waiting for the first sample…");
      assertThat(page.innerText("#cores")).contains("waiting for the first sample");
      assertThat(page.innerText("#ready")).isEqualTo("not ready");
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
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
      assertThat(w.errors()).as("console and page errors").allSatisfy(e -> assertThat(
          e.contains("ERR_CONNECTION_REFUSED") || e.contains("/live/")).as("only refused connections while the agent was down: " + e).isTrue());
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

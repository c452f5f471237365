package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Dialog;
import com.microsoft.playwright.Page;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page's "run now" button in Debian's Chromium against a real agent: a click makes one extra run appear in the
 * task's run history; on a listener that is not loopback the agent's 401 is answered by asking for the token
 * (kept for the tab), and a wrong token is refused with the agent's own words on the row.
 */
class RunNowPageIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final String TOKEN = "page-s3cret";

  @TempDir Path dataDir;

  private static Agent start(Config config) throws Exception {
    return PageIT.start(config);
  }

  /** An hourly task: without run now it has no run for an hour. */
  private static int postHourly(int port, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/tasks"))
        .timeout(Duration.ofSeconds(5)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("""
            {"metadata": {"name": "hourly", "namespace": "default"},
             "spec": {"title": "Pi every hour", "every": "1h", "target": {"compute": {"pi": {"digits": 50}}}}}"""));
    if (auth != null) {
      b.header("authorization", auth);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static void waitFor(Page page, String expression, Duration timeout) {
    page.waitForFunction(expression, null, new Page.WaitForFunctionOptions().setTimeout(timeout.toMillis()).setPollingInterval(100));
  }

  private static final String ROW = "tr.task[data-key='default/hourly']";

  private static Page openHistory(Chromium.Watched w, int port) {
    Page page = w.page();
    page.navigate("http://127.0.0.1:" + port + "/");
    waitFor(page, "() => window.nodepulse && nodepulse.state === 'connected' && document.querySelector(\"" + ROW
        + " button.run-now\") !== null", Duration.ofSeconds(30));
    page.click(ROW + " button.toggle");
    waitFor(page, "() => document.querySelector('tr.history')?.textContent.includes('no runs yet')", Duration.ofSeconds(20));
    return page;
  }

  @Test
  void onALoopbackListenerAClickMakesARunAppearInTheTasksRuns() throws Exception {
    Agent agent = start(Config.forTest(dataDir));
    int port = agent.httpPort();
    try (Chromium chromium = Chromium.launch()) {
      assertThat(postHourly(port, null)).isEqualTo(201);
      Chromium.Watched w = chromium.open(1280, 900);
      Page page = openHistory(w, port);
      assertThat(page.isEnabled(ROW + " button.run-now")).isTrue();
      page.click(ROW + " button.run-now");
      waitFor(page, "() => document.querySelectorAll('tr.history tr.run').length === 1", Duration.ofSeconds(30));
      assertThat(page.innerText("tr.history tr.run")).contains("succeeded");
      assertThat(page.innerText(ROW)).contains("run requested");
      assertThat(page.isVisible("tr.history"))
          .as("the click ran the task; it did not close the history the row's click toggles").isTrue();
      assertThat(w.requests()).filteredOn(u -> u.endsWith("/api/v1/tasks/default/hourly/runs")).isNotEmpty();
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void elsewhereTheButtonAsksForTheTokenAndShowsTheAgentsRefusal() throws Exception {
    Path token = Files.writeString(dataDir.resolve("token"), TOKEN + "\n");
    Path data = Files.createDirectories(dataDir.resolve("data"));
    // listening on every address: a change needs the token, also from this machine
    Agent agent = start(Config.forTest(data, "--http-host", "0.0.0.0", "--api-token-file", token.toString()));
    int port = agent.httpPort();
    try (Chromium chromium = Chromium.launch()) {
      assertThat(postHourly(port, "Bearer " + TOKEN)).isEqualTo(201);
      Chromium.Watched w = chromium.open(1280, 900);
      Page page = w.page();
      List<String> asked = new CopyOnWriteArrayList<>();
      List<String> answers = new CopyOnWriteArrayList<>(List.of("not-the-token"));
      page.onDialog((Dialog d) -> {
        asked.add(d.message());
        if (answers.isEmpty()) {
          d.dismiss();
        } else {
          d.accept(answers.removeFirst());
        }
      });
      openHistory(w, port);

      // no token kept yet: the agent's 401 is answered by asking; a wrong one is refused in the agent's words
      page.click(ROW + " button.run-now");
      waitFor(page, "() => document.querySelector(\"" + ROW + " + tr.why\")?.textContent.includes('run now refused')",
          Duration.ofSeconds(20));
      assertThat(asked).hasSize(1);
      assertThat(asked.getFirst()).contains("changing tasks on this listener needs Authorization: Bearer <token>");
      assertThat(page.innerText(ROW + " + tr.why")).contains("the bearer token is not this agent's");
      assertThat(page.locator("tr.history tr.run").count()).as("nothing ran").isZero();

      // the right token: the run appears, and the token is kept for the next click (no second question)
      answers.add(TOKEN);
      page.click(ROW + " button.run-now");
      waitFor(page, "() => document.querySelectorAll('tr.history tr.run').length === 1", Duration.ofSeconds(30));
      assertThat(asked).hasSize(2);
      assertThat(page.locator(ROW + " + tr.why").count()).as("the refusal is gone").isZero();
      page.click(ROW + " button.run-now");
      waitFor(page, "() => document.querySelectorAll('tr.history tr.run').length === 2", Duration.ofSeconds(30));
      assertThat(asked).as("the kept token was used").hasSize(2);
      assertThat(w.errors()).as("console and page errors").filteredOn(e -> !e.contains("401") && !e.contains("403"))
          .isEmpty();
    } finally {
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }
}

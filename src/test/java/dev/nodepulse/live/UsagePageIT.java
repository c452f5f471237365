package dev.nodepulse.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.usage.UsageVerticle;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "Busiest pods" panel and the pressure beside load, in real Chromium, on an agent whose cgroup tree is a fixture
 * (cgroup v2, systemd driver) in which one pod is being throttled: names from {@code nodepulse.usage.names}, the
 * throttled pod marked, columns sortable; pressure from this machine's /proc.
 */
class UsagePageIT {
  static final String POD_A = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f3a2b4c_0000_4000_8000_00000000000a.slice";
  @TempDir Path dir;

  private static void waitFor(Page page, String expression, Duration timeout) {
    page.waitForFunction(expression, null, new Page.WaitForFunctionOptions().setTimeout(timeout.toMillis()).setPollingInterval(100));
  }

  @Test
  void busiestPodsAreLiveSortableAndThrottlingIsMarked() throws Exception {
    Path cgroup = dir.resolve("sys/fs/cgroup");
    dev.nodepulse.usage.UsageFixtures.copy("cgroup/v2-systemd/t1", cgroup);
    Agent agent = Agent.start(Config.forTest(dir.resolve("data"), "--sysfs", dir.resolve("sys").toString()))
        .await(60, TimeUnit.SECONDS);
    AtomicLong n = new AtomicLong();
    // pod A uses CPU and is throttled in half its periods, all the time
    long timer = agent.vertx().setPeriodic(100, id -> {
      long i = n.incrementAndGet();
      try {
        Files.writeString(cgroup.resolve(POD_A + "/cpu.stat.tmp"), "usage_usec " + (5_000_000 + i * 50_000)
            + "\nnr_periods " + (100 + i * 2) + "\nnr_throttled " + (10 + i) + "\nthrottled_usec " + (200_000 + i * 5_000) + "\n");
        Files.move(cgroup.resolve(POD_A + "/cpu.stat.tmp"), cgroup.resolve(POD_A + "/cpu.stat"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    agent.vertx().eventBus().publish(UsageVerticle.NAMES, new JsonObject().put("uid", "1f3a2b4c-0000-4000-8000-00000000000a")
        .put("namespace", "shop").put("name", "web-0").put("containers", new JsonObject()));
    try (Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1280, 1600);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + agent.httpPort() + "/");
      waitFor(page, "() => window.nodepulseUsage && nodepulseUsage.samples >= 2"
          + " && document.querySelector('#pods tr.pod.throttled') !== null", Duration.ofSeconds(60));
      // busiest first: the throttled pod, named
      assertThat(page.innerText("#pods tr.pod:first-child td.name")).startsWith("shop/web-0");
      assertThat(page.getAttribute("#pods tr.pod:first-child", "class")).contains("throttled");
      assertThat(page.innerText("#pods tr.pod:first-child td.thr")).startsWith("⚠");
      assertThat(page.innerText("#pods-kind")).isEqualTo("3 pods");
      assertThat(page.locator("#pods tr.pod").count()).isEqualTo(3);
      // by name, ascending: the unnamed pods ("pod 1f3a2b4c…") sort before "shop/web-0"
      page.click("table.pods th[data-sort='label']");
      waitFor(page, "() => nodepulseUsage.sort === 'label'", Duration.ofSeconds(10));
      assertThat(page.innerText("#pods tr.pod:first-child td.name")).startsWith("pod 1f3a2b4c");
      assertThat(page.getAttribute("table.pods th[data-sort='label']", "data-dir")).isEqualTo("asc");
      if (Files.isReadable(Path.of("/proc/pressure/cpu"))) {
        waitFor(page, "() => document.getElementById('pressure').dataset.available === 'true'", Duration.ofSeconds(30));
        assertThat(page.innerText("#pressure")).matches("cpu [0-9.]+% · memory [0-9.]+% · io [0-9.]+%");
      }
      // the busiest processes carry a pod / cgroup column
      waitFor(page, "() => document.querySelectorAll('#procs tr td.pod').length > 0", Duration.ofSeconds(30));
      assertThat(page.innerText("table.procs thead")).contains("pod / cgroup");
      // the panel's address rides the page's one connection: one page is one live client
      String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + agent.httpPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).containsPattern("(?m)^nodepulse_live_clients 1(\\.0)?$");
      assertThat(w.errors()).as("console and page errors").isEmpty();
    } finally {
      agent.vertx().cancelTimer(timer);
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }
}

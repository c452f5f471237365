package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.testing.Tools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /docs in a real browser: Swagger UI, served from the jar with nothing fetched elsewhere, lists every operation. */
class DocsPageTest {
  @TempDir Path tmp;

  @Test
  void swaggerUiListsEveryOperationFromTheAgentItself() {
    Agent agent = Agent.start(Config.forTest(tmp)).await();
    String origin = "http://127.0.0.1:" + agent.httpPort();
    try (Playwright pw = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")))) {
      Browser browser = pw.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(Tools.chromium()).setHeadless(true)
          .setArgs(List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-quic")));
      Page page = browser.newPage();
      List<String> elsewhere = new CopyOnWriteArrayList<>();
      page.onRequest(r -> {
        if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) {
          elsewhere.add(r.url());
        }
      });
      page.navigate(origin + "/docs");
      page.waitForSelector(".opblock-summary-path", new Page.WaitForSelectorOptions().setTimeout(20_000));
      List<String> paths = page.locator(".opblock-summary-path").allTextContents();
      assertThat(paths).hasSize(24);
      assertThat(String.join(" ", paths).replace("\u200b", ""))
          .contains("/api/v1/host", "/api/v1/history", "/api/v1/pressure", "/api/v1/pods/{namespace}/{name}",
              "/api/v1/tasks/{namespace}/{name}", "/api/v1/sum", "/api/v1/cluster/nodes", "/readyz", "/metrics");
      assertThat(elsewhere).as("requests that left the agent").isEmpty();
      browser.close();
    } finally {
      agent.stop().await();
    }
  }
}

package dev.nodepulse.live;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.nodepulse.testing.Tools;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Debian's Chromium driven by Playwright: headless, a fresh temporary profile, never a downloaded
 * browser. Each page records every request it makes and every console error and page error.
 */
public final class Chromium implements AutoCloseable {
  static final List<String> ARGS = List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic");

  private final Playwright playwright;
  private final Browser browser;

  private Chromium() {
    playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    try {
      browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
          .setExecutablePath(Tools.chromium()).setHeadless(true).setArgs(ARGS));
    } catch (RuntimeException e) {
      playwright.close();
      throw e;
    }
  }

  public static Chromium launch() {
    return new Chromium();
  }

  /** A page with what it did: every request URL, console errors and uncaught page errors. */
  public record Watched(Page page, List<String> requests, List<String> errors) {}

  public Watched open(int width, int height) {
    Page page = browser.newPage(new Browser.NewPageOptions().setViewportSize(width, height));
    List<String> requests = new CopyOnWriteArrayList<>();
    List<String> errors = new CopyOnWriteArrayList<>();
    page.onRequest(r -> requests.add(r.url()));
    page.onWebSocket(ws -> requests.add(ws.url()));
    page.onConsoleMessage(m -> {
      if ("error".equals(m.type()) || "warning".equals(m.type())) {
        errors.add(m.type() + ": " + m.text() + " @ " + m.location());
      }
    });
    page.onPageError(e -> errors.add("pageerror: " + e));
    return new Watched(page, requests, errors);
  }

  @Override
  public void close() {
    try {
      browser.close();
    } finally {
      playwright.close();
    }
  }
}

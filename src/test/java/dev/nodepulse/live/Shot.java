package dev.nodepulse.live;

import com.microsoft.playwright.Page;
import java.nio.file.Path;

/** Dev helper: screenshots a running page. {@code Shot <url> <png> [width] [height] [waitMs]}. */
public final class Shot {
  private Shot() {}

  public static void main(String[] args) {
    try (Chromium c = Chromium.launch()) {
      Chromium.Watched w = c.open(args.length > 2 ? Integer.parseInt(args[2]) : 1400, args.length > 3 ? Integer.parseInt(args[3]) : 900);
      w.page().navigate(args[0]);
      w.page().waitForTimeout(args.length > 4 ? Integer.parseInt(args[4]) : 4000);
      w.page().screenshot(new Page.ScreenshotOptions().setPath(Path.of(args[1])).setFullPage(true));
      System.out.println("requests: " + w.requests());
      System.out.println("errors: " + w.errors());
    }
  }
}

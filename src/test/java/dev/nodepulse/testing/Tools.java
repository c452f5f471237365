package dev.nodepulse.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * External tools the tests drive (Chromium, promtool, prometheus, schemathesis). A missing tool is a
 * failure that names the tool and the setup step, never a silent skip.
 */
public final class Tools {
  private Tools() {}

  public static Path chromium() {
    return find("NODEPULSE_CHROMIUM", "chromium", "Debian package chromium");
  }

  public static Path promtool() {
    return find("NODEPULSE_PROMTOOL", "promtool", "Debian package prometheus");
  }

  public static Path prometheus() {
    return find("NODEPULSE_PROMETHEUS", "prometheus", "Debian package prometheus");
  }

  public static Path schemathesis() {
    return find("NODEPULSE_SCHEMATHESIS", "schemathesis", "PyPI package schemathesis");
  }

  /** The tool named by {@code envVar}, else found on PATH; fails with the setup step otherwise. */
  public static Path find(String envVar, String command, String from) {
    String fromEnv = System.getenv(envVar);
    if (fromEnv != null && !fromEnv.isBlank() && Files.isExecutable(Path.of(fromEnv))) {
      return Path.of(fromEnv);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, command);
      if (!dir.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    throw new AssertionError(command + " not found (" + envVar + " unset and not on PATH): run ./test.sh, "
        + "whose setup step (.ci/setup) installs the " + from);
  }
}

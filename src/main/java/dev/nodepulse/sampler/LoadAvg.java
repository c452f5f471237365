package dev.nodepulse.sampler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code <procfs>/loadavg}: the 1, 5 and 15 minute load averages. */
record LoadAvg(double one, double five, double fifteen) {

  static LoadAvg read(Path procfs) throws IOException {
    return parse(Files.readString(procfs.resolve("loadavg")));
  }

  static LoadAvg parse(String text) {
    String[] f = text.trim().split("\\s+");
    if (f.length < 3) {
      throw new IllegalArgumentException("loadavg: expected 3 numbers, got '" + text.trim() + "'");
    }
    try {
      return new LoadAvg(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("loadavg: not a number in '" + text.trim() + "'");
    }
  }
}

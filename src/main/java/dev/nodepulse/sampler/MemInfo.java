package dev.nodepulse.sampler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code <procfs>/meminfo} in bytes. Used is total minus available (what free(1) and psutil
 * report since MemAvailable exists); without MemAvailable (kernels before 3.14) available is
 * MemFree + Buffers + Cached.
 */
record MemInfo(long totalBytes, long availableBytes, long swapTotalBytes, long swapFreeBytes) {

  long usedBytes() {
    return Math.max(0, totalBytes - availableBytes);
  }

  long swapUsedBytes() {
    return Math.max(0, swapTotalBytes - swapFreeBytes);
  }

  static MemInfo read(Path procfs) throws IOException {
    return parse(Files.readString(procfs.resolve("meminfo")));
  }

  static MemInfo parse(String text) {
    Map<String, Long> kv = new HashMap<>();
    for (String line : text.split("\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      try {
        long v = Long.parseLong(f[0]);
        boolean kb = f.length > 1 && f[1].equalsIgnoreCase("kB");
        kv.put(line.substring(0, colon).trim(), kb ? v * 1024 : v);
      } catch (NumberFormatException e) {
        // not a number: a field we do not use
      }
    }
    Long total = kv.get("MemTotal");
    if (total == null) {
      throw new IllegalArgumentException("meminfo: no MemTotal line");
    }
    Long available = kv.get("MemAvailable");
    if (available == null) {
      available = kv.getOrDefault("MemFree", 0L) + kv.getOrDefault("Buffers", 0L) + kv.getOrDefault("Cached", 0L);
    }
    return new MemInfo(total, Math.min(available, total), kv.getOrDefault("SwapTotal", 0L), kv.getOrDefault("SwapFree", 0L));
  }
}

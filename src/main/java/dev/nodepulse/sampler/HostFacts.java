package dev.nodepulse.sampler;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Facts about the host that do not change while it runs, read from the configured procfs, sysfs and
 * root: host name and kernel ({@code <procfs>/sys/kernel}), CPU model and core counts
 * ({@code <procfs>/cpuinfo}, {@code <procfs>/stat}), OS name ({@code <rootfs>/etc/os-release}).
 * Plain file reads: no native library and no command is needed for five facts.
 */
record HostFacts(String hostname, String nodeName, String os, String kernel, String arch, String cpuModel,
    int logicalCpus, int physicalCpus, long bootTimeSeconds) {

  /** Reads the facts (blocking: reads files). {@code onlineCpus} is the count of per-CPU lines in stat. */
  static HostFacts read(Path procfs, Path rootfs, String nodeName, int onlineCpus, long bootTimeSeconds) {
    String hostname = firstLine(procfs.resolve("sys/kernel/hostname"));
    if (hostname == null) {
      try {
        hostname = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        hostname = "localhost";
      }
    }
    String kernel = firstLine(procfs.resolve("sys/kernel/osrelease"));
    List<String> cpuinfo = lines(procfs.resolve("cpuinfo"));
    int logical = Math.max(1, onlineCpus);
    return new HostFacts(hostname, nodeName, osName(rootfs), kernel == null ? "unknown" : kernel,
        System.getProperty("os.arch"), cpuModel(cpuinfo), logical, physicalCores(cpuinfo, logical), bootTimeSeconds);
  }

  /** {@code PRETTY_NAME} of os-release under the host's root (then this root's), else "Linux". */
  static String osName(Path rootfs) {
    for (Path p : new Path[] {rootfs.resolve("etc/os-release"), rootfs.resolve("usr/lib/os-release")}) {
      for (String line : lines(p)) {
        if (line.startsWith("PRETTY_NAME=")) {
          String v = line.substring("PRETTY_NAME=".length()).trim();
          if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            v = v.substring(1, v.length() - 1);
          }
          if (!v.isBlank()) {
            return v;
          }
        }
      }
    }
    return "Linux";
  }

  /** The first CPU's model: x86 "model name", else ARM's "Hardware" or "Processor", else "unknown". */
  static String cpuModel(List<String> cpuinfo) {
    for (String key : new String[] {"model name", "Hardware", "Processor", "cpu model", "cpu"}) {
      for (String line : cpuinfo) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
          String v = line.substring(colon + 1).trim();
          if (!v.isEmpty()) {
            return v;
          }
        }
      }
    }
    return "unknown";
  }

  /** Distinct (physical id, core id) pairs in cpuinfo; the logical count where cpuinfo has no topology. */
  static int physicalCores(List<String> cpuinfo, int logical) {
    Set<String> cores = new HashSet<>();
    String physical = "0";
    for (String line : cpuinfo) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      if (key.equals("processor")) {
        physical = "0";
      } else if (key.equals("physical id")) {
        physical = line.substring(colon + 1).trim();
      } else if (key.equals("core id")) {
        cores.add(physical + "/" + line.substring(colon + 1).trim());
      }
    }
    return cores.isEmpty() ? logical : Math.min(cores.size(), logical);
  }

  private static String firstLine(Path p) {
    List<String> l = lines(p);
    return l.isEmpty() || l.get(0).isBlank() ? null : l.get(0).trim();
  }

  private static List<String> lines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  /** The facts as {@code nodepulse.sampler.host} answers them, with the uptime at {@code nowMs}. */
  JsonObject toJson(long nowMs) {
    return new JsonObject().put("hostname", hostname).put("nodeName", nodeName).put("os", os).put("kernel", kernel)
        .put("arch", arch).put("cpuModel", cpuModel).put("logicalCpus", logicalCpus).put("physicalCpus", physicalCpus)
        .put("bootTime", Instant.ofEpochSecond(bootTimeSeconds).toString())
        .put("uptimeSeconds", Math.max(0, nowMs / 1000 - bootTimeSeconds));
  }
}

package dev.nodepulse.sampler;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.software.os.OperatingSystem;
import oshi.util.GlobalConfig;

/**
 * Facts about the host that do not change while it runs: from OSHI (OS, CPU model and counts,
 * host name) and from {@code <procfs>} (kernel release, boot time).
 */
record HostFacts(String hostname, String nodeName, String os, String kernel, String arch, String cpuModel,
    int logicalCpus, int physicalCpus, long bootTimeSeconds) {

  private static boolean oshiConfigured;

  /**
   * Points OSHI at the configured procfs and sysfs. OSHI reads these once per JVM, when its classes
   * load, so this runs before any other OSHI use; later calls with other paths cannot change them.
   */
  static synchronized void configureOshi(Path procfs, Path sysfs) {
    if (!oshiConfigured) {
      GlobalConfig.set("oshi.util.proc.path", procfs.toAbsolutePath().toString());
      GlobalConfig.set("oshi.util.sys.path", sysfs.toAbsolutePath().toString());
      oshiConfigured = true;
    }
  }

  /** Reads the facts (blocking: OSHI reads files and may run commands). */
  static HostFacts read(Path procfs, Path sysfs, String nodeName, long bootTimeSeconds) {
    configureOshi(procfs, sysfs);
    SystemInfo si = new SystemInfo();
    OperatingSystem os = si.getOperatingSystem();
    CentralProcessor cpu = si.getHardware().getProcessor();
    String hostname = os.getNetworkParams().getHostName();
    if (hostname == null || hostname.isBlank()) {
      try {
        hostname = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        hostname = "localhost";
      }
    }
    OperatingSystem.OSVersionInfo v = os.getVersionInfo();
    String osName = os.getFamily() + (v.getVersion() == null ? "" : " " + v.getVersion())
        + (v.getCodeName() == null || v.getCodeName().isBlank() ? "" : " (" + v.getCodeName() + ")");
    String kernel;
    try {
      kernel = Files.readString(procfs.resolve("sys/kernel/osrelease")).trim();
    } catch (IOException e) {
      kernel = v.getBuildNumber();
    }
    return new HostFacts(hostname, nodeName, osName, kernel, System.getProperty("os.arch"),
        cpu.getProcessorIdentifier().getName().trim(), cpu.getLogicalProcessorCount(), cpu.getPhysicalProcessorCount(),
        bootTimeSeconds);
  }

  /** The facts as {@code nodepulse.sampler.host} answers them, with the uptime at {@code nowMs}. */
  JsonObject toJson(long nowMs) {
    return new JsonObject().put("hostname", hostname).put("nodeName", nodeName).put("os", os).put("kernel", kernel)
        .put("arch", arch).put("cpuModel", cpuModel).put("logicalCpus", logicalCpus).put("physicalCpus", physicalCpus)
        .put("bootTime", Instant.ofEpochSecond(bootTimeSeconds).toString())
        .put("uptimeSeconds", Math.max(0, nowMs / 1000 - bootTimeSeconds));
  }
}

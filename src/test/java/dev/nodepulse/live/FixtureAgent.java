package dev.nodepulse.live;

import dev.nodepulse.AgentOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real agent (the packaged jar, in its own JVM) on a fixture procfs: as many CPUs as a test
 * needs, and optionally an hour of history already in its store. Everything the page gets is what
 * the agent sends; only the kernel files and the stored past are made up. Its own JVM, as a user
 * runs it: the packaged jar with its --procfs.
 */
final class FixtureAgent implements AutoCloseable {

  private final Process process;
  private final StringBuilder out = new StringBuilder();
  private final int port;

  /**
   * @param cpus the CPU numbers online (their lines in /proc/stat), e.g. 0, 2, 3 with cpu1 offline
   * @param historyStepMs when positive, an hour of stored points this far apart, ending {@code historyEndsAgoMs} ago
   */
  FixtureAgent(Path dir, List<Integer> cpus, String sampleInterval, long historyStepMs, long historyEndsAgoMs) throws Exception {
    Path procfs = Files.createDirectories(dir.resolve("proc"));
    StringBuilder stat = new StringBuilder("cpu  ").append(ticks(cpus.size())).append('\n');
    for (int cpu : cpus) {
      stat.append("cpu").append(cpu).append(' ').append(ticks(1)).append('\n');
    }
    stat.append("intr 0\nctxt 0\nbtime 1795431142\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n");
    Files.writeString(procfs.resolve("stat"), stat);
    Files.writeString(procfs.resolve("loadavg"), "0.52 0.58 0.59 1/189 4242\n");
    Files.writeString(procfs.resolve("uptime"), "1000.00 1900.00\n");
    Files.writeString(procfs.resolve("meminfo"), """
        MemTotal:       16384000 kB
        MemFree:         8192000 kB
        MemAvailable:   10240000 kB
        SwapTotal:       2048000 kB
        SwapFree:        2000000 kB
        """);
    Path data = Files.createDirectories(dir.resolve("data"));
    if (historyStepMs > 0) {
      seedHistory(data, historyStepMs, historyEndsAgoMs);
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"),
        "--http-port", "0", "--data-dir", data.toString(), "--procfs", procfs.toString(), "--sample-interval", sampleInterval));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      port = AgentOutput.awaitPort(process, out, 90);
    } catch (Exception e) {
      process.destroyForcibly();
      throw e;
    }
  }

  /** user nice system idle iowait irq softirq steal for {@code n} CPUs: a steady quarter busy. */
  private static String ticks(int n) {
    return (2500L * n) + " 0 0 " + (7500L * n) + " 0 0 0 0 0 0";
  }

  /** Points of the hour before {@code endsAgoMs} ago, as the sampler stores them (cpu and its average). */
  private static void seedHistory(Path data, long stepMs, long endsAgoMs) throws Exception {
    long end = System.currentTimeMillis() - endsAgoMs;
    try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("history.db"));
        var st = db.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS points (t INTEGER PRIMARY KEY, cpu REAL, avg1m REAL)");
      db.setAutoCommit(false);
      try (var insert = db.prepareStatement("INSERT INTO points VALUES (?, ?, ?)")) {
        for (long t = end - 3_600_000; t <= end; t += stepMs) {
          double cpu = 30 + 20 * Math.sin(t / 60_000.0);
          insert.setLong(1, t);
          insert.setDouble(2, Math.round(cpu * 100) / 100.0);
          insert.setDouble(3, 30.0);
          insert.addBatch();
        }
        insert.executeBatch();
      }
      db.commit();
    }
  }

  int port() {
    return port;
  }

  String output() {
    synchronized (out) {
      return out.toString();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}

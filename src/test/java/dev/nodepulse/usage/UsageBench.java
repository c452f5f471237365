package dev.nodepulse.usage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The sampling cost of CPU per pod: the packaged agent (standalone, 1 s samples) as a child process whose
 * {@code --sysfs} holds a generated cgroup v2 tree of the systemd driver with N pods of two containers each, its CPU
 * time (utime + stime from /proc/<pid>/stat) over a measured minute after a warm-up. "none" is an agent with no
 * cgroup tree at all (pressure only), the closest to the agent before this concern. Run by bench/usage/run.sh.
 * Usage: UsageBench [seconds=60] [warmupSeconds=20] [cases=none,0,100,500]
 */
public final class UsageBench {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    String[] cases = (args.length > 2 ? args[2] : "none,0,100,500").split(",");
    Path jar = Path.of(System.getProperty("nodepulse.jar", "target/nodepulse.jar")).toAbsolutePath();
    System.out.println("| pods | CPU seconds per minute | cgroup groups read per sample |");
    System.out.println("| --- | --- | --- |");
    for (String c : cases) {
      Path dir = Files.createTempDirectory("usage-bench");
      Path sys = dir.resolve("sys");
      int groups = c.equals("none") ? 0 : tree(sys.resolve("fs/cgroup"), Integer.parseInt(c));
      Files.createDirectories(sys);
      Process p = new ProcessBuilder("java", "-XX:+UseSerialGC", "-Xmx64m", "--enable-native-access=ALL-UNNAMED",
          "-jar", jar.toString(), "--http-port", "0", "--data-dir", dir.resolve("data").toString(),
          "--sysfs", sys.toString(), "--log-level", "warn")
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try {
        Thread.sleep(warmup * 1000L); // a benchmark's fixed windows, not a test's wait
        long before = cpuTicks(p.pid());
        Thread.sleep(seconds * 1000L);
        long after = cpuTicks(p.pid());
        double perMinute = (after - before) / 100.0 * 60.0 / seconds;
        System.out.printf("| %s | %.2f | %d |%n", c, perMinute, groups);
      } finally {
        p.destroy();
        p.waitFor();
      }
    }
  }

  /** utime + stime of a process, in clock ticks (USER_HZ 100). */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** A cgroup v2 tree with {@code pods} burstable pods of two containers each, plus a few services; the groups read. */
  static int tree(Path root, int pods) throws IOException {
    Files.createDirectories(root);
    Files.writeString(root.resolve("cgroup.controllers"), "cpu io memory pids\n");
    List<Path> groups = new ArrayList<>();
    Path qos = root.resolve("kubepods.slice/kubepods-burstable.slice");
    for (int i = 0; i < pods; i++) {
      String uid = new UUID(0x1f3a2b4c00004000L, 0x8000000000000000L + i).toString().replace('-', '_');
      Path pod = qos.resolve("kubepods-burstable-pod" + uid + ".slice");
      groups.add(pod);
      for (int c = 0; c < 2; c++) {
        groups.add(pod.resolve("cri-containerd-" + String.format("%064x", (long) i * 2 + c) + ".scope"));
      }
    }
    for (String s : List.of("sshd.service", "containerd.service", "kubelet.service", "systemd-journald.service")) {
      groups.add(root.resolve("system.slice").resolve(s));
    }
    groups.add(root.resolve("system.slice"));
    for (Path g : groups) {
      Files.createDirectories(g);
      Files.writeString(g.resolve("cpu.stat"), "usage_usec 123456789\nuser_usec 100000000\nsystem_usec 23456789\n"
          + "nr_periods 1000\nnr_throttled 10\nthrottled_usec 50000\nnr_bursts 0\nburst_usec 0\n");
      Files.writeString(g.resolve("cpu.pressure"), "some avg10=0.00 avg60=0.00 avg300=0.00 total=1234\n"
          + "full avg10=0.00 avg60=0.00 avg300=0.00 total=1000\n");
    }
    return groups.size();
  }
}

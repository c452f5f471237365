package dev.nodepulse.sampler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Scans {@code <procfs>/<pid>/stat} and {@code status}, and ranks processes by CPU between two
 * scans. CPU percent is of one CPU, as psutil and top count it (a process busy on two cores shows
 * 200). Scanning is blocking: call it off the event loop.
 */
final class Processes {
  private Processes() {}

  /** One process at one scan. {@code ticks} is utime + stime; {@code startTicks} is since boot. */
  record Proc(int pid, int ppid, String name, String user, long ticks, long startTicks, long rssBytes) {}

  /**
   * All processes at one moment: {@code atNanos} is System.nanoTime, {@code uptimeTicks} the
   * system's uptime then (from {@code <procfs>/uptime}), comparable with {@link Proc#startTicks}.
   */
  record Scan(long atNanos, long uptimeTicks, long bootTimeSeconds, Map<Integer, Proc> procs) {}

  record Top(int pid, int ppid, String name, String user, double cpuPercent, long rssBytes, String startedAt) {
    JsonObject toJson() {
      return new JsonObject().put("pid", pid).put("ppid", ppid).put("name", name).put("user", user)
          .put("cpuPercent", cpuPercent).put("rssBytes", rssBytes).put("startedAt", startedAt);
    }
  }

  static Scan scan(Path procfs, Path rootfs, long bootTimeSeconds, long atNanos) {
    long uptimeTicks;
    try {
      uptimeTicks = Math.round(Double.parseDouble(Files.readString(procfs.resolve("uptime")).trim().split("\\s+")[0])
          * ProcStat.USER_HZ);
    } catch (IOException | RuntimeException e) {
      uptimeTicks = Long.MAX_VALUE;
    }
    Map<String, String> users = readUsers(rootfs.resolve("etc/passwd"));
    Map<Integer, Proc> procs = new HashMap<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(procfs, p -> isPid(p.getFileName().toString()))) {
      for (Path dir : dirs) {
        try {
          Proc p = parse(Integer.parseInt(dir.getFileName().toString()), Files.readString(dir.resolve("stat")),
              Files.readString(dir.resolve("status")), users);
          procs.put(p.pid(), p);
        } catch (IOException | RuntimeException e) {
          // exited during the scan, or not readable: skip it
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + procfs + ": " + e.getMessage(), e);
    }
    return new Scan(atNanos, uptimeTicks, bootTimeSeconds, procs);
  }

  private static boolean isPid(String name) {
    if (name.isEmpty() || name.length() > 10) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** One process from its {@code stat} and {@code status} files. */
  static Proc parse(int pid, String stat, String status, Map<String, String> users) {
    // the name is in parentheses and may itself contain spaces and parentheses
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')');
    if (open < 0 || close < open) {
      throw new IllegalArgumentException("stat of " + pid + ": no (name)");
    }
    String name = stat.substring(open + 1, close);
    String[] f = stat.substring(close + 2).trim().split("\\s+");
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22
    int ppid = Integer.parseInt(f[1]);
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    long start = Long.parseLong(f[19]);
    String uid = null;
    long rss = 0;
    for (String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        uid = line.substring(4).trim().split("\\s+")[0];
      } else if (line.startsWith("VmRSS:")) {
        String[] v = line.substring(6).trim().split("\\s+");
        rss = Long.parseLong(v[0]) * 1024;
      }
    }
    String user = uid == null ? "" : users.getOrDefault(uid, uid);
    return new Proc(pid, ppid, name, user, ticks, start, rss);
  }

  /** uid → name from a passwd file; empty when it cannot be read (uids are shown instead). */
  static Map<String, String> readUsers(Path passwd) {
    Map<String, String> users = new HashMap<>();
    try {
      for (String line : Files.readAllLines(passwd)) {
        String[] f = line.split(":");
        if (f.length > 2) {
          users.putIfAbsent(f[2], f[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // no passwd: numeric uids
    }
    return users;
  }

  /**
   * The {@code n} busiest processes between two scans. A process in both scans (same pid and start)
   * gets its tick delta; one started after {@code prev} gets all its ticks; others count 0.
   */
  static List<Top> top(Scan prev, Scan cur, int n) {
    double seconds = (cur.atNanos() - prev.atNanos()) / 1e9;
    List<Top> all = new ArrayList<>();
    for (Proc p : cur.procs().values()) {
      Proc before = prev.procs().get(p.pid());
      long delta;
      if (before != null && before.startTicks() == p.startTicks()) {
        delta = Math.max(0, p.ticks() - before.ticks());
      } else if (before == null && p.startTicks() >= prev.uptimeTicks()) {
        delta = p.ticks();
      } else {
        delta = 0;
      }
      double pct = seconds <= 0 ? 0 : delta / ProcStat.USER_HZ / seconds * 100.0;
      all.add(new Top(p.pid(), p.ppid(), p.name(), p.user(), Math.round(pct * 100) / 100.0, p.rssBytes(),
          Instant.ofEpochMilli(cur.bootTimeSeconds() * 1000 + Math.round(p.startTicks() * 1000 / ProcStat.USER_HZ))
              .toString()));
    }
    all.sort(Comparator.comparingDouble(Top::cpuPercent).reversed().thenComparing(Comparator.comparingLong(Top::rssBytes).reversed()));
    return all.subList(0, Math.min(n, all.size()));
  }

  static JsonObject toJson(List<Top> top) {
    JsonArray arr = new JsonArray();
    top.forEach(t -> arr.add(t.toJson()));
    return new JsonObject().put("processes", arr);
  }
}

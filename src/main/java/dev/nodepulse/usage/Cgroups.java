package dev.nodepulse.usage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's cgroup tree under {@code <sysfs>/fs/cgroup}: which groups there are (Kubernetes pods and their
 * containers under {@code kubepods}, of the systemd or the cgroupfs driver; else the machine's own groups,
 * systemd services and containers, two levels deep) and their CPU counters. cgroup v2 (the unified tree) and v1
 * (the {@code cpuacct} and {@code cpu} hierarchies, joined or apart) are read alike. Blocking: call it off the
 * event loop. A group that goes away while it is read is left out, never an error.
 */
public final class Cgroups {
  /** At most this many groups are listed per scan: the cost and the answer stay bounded on any node. */
  public static final int MAX_GROUPS = 2000;
  private static final Pattern POD = Pattern.compile(
      "(?:kubepods-(?:burstable-|besteffort-)?)?pod([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12})(?:\\.slice)?");
  /** A container's group: {@code cri-containerd-<id>.scope}, {@code docker-<id>.scope}, {@code crio-<id>.scope}, or the bare id. */
  private static final Pattern CONTAINER = Pattern.compile("(?:[a-z-]+-)?([0-9a-f]{12,64})(?:\\.scope)?");
  private static final Set<String> QOS = Set.of("burstable", "besteffort");

  /** Where a group is: its path under the tree's root ({@code /}-separated, no leading slash) and what it is. */
  public record Group(String path, String podUid, String qos, String containerId) {
    public boolean isPod() {
      return podUid != null && containerId == null;
    }
  }

  /** A group's CPU counters; {@code pressure} is null on v1 (or without PSI). Throttling is 0 without a quota. */
  public record Counters(long usageMicros, long periods, long throttledPeriods, long throttledMicros, Pressure pressure) {}

  private final int version;
  private final Path usageRoot;
  private final Path cpuRoot;

  private Cgroups(int version, Path usageRoot, Path cpuRoot) {
    this.version = version;
    this.usageRoot = usageRoot;
    this.cpuRoot = cpuRoot;
  }

  /** The tree at {@code root} (normally {@code /sys/fs/cgroup}); null when there is none that this can read. */
  public static Cgroups at(Path root) {
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      return new Cgroups(2, root, root);
    }
    Path usage = first(root, "cpu,cpuacct", "cpuacct,cpu", "cpuacct");
    Path cpu = first(root, "cpu,cpuacct", "cpuacct,cpu", "cpu");
    return usage == null ? null : new Cgroups(1, usage, cpu == null ? usage : cpu);
  }

  private static Path first(Path root, String... names) {
    for (String n : names) {
      Path p = root.resolve(n);
      if (Files.exists(p.resolve("cpuacct.usage")) || Files.exists(p.resolve("cpu.stat"))) {
        return p;
      }
    }
    return null;
  }

  /** 1 or 2. */
  public int version() {
    return version;
  }

  /**
   * The groups now: each pod and its containers when the tree has {@code kubepods}, and the machine's groups
   * (the root's children and theirs, kubepods aside). At most {@link #MAX_GROUPS}.
   */
  public List<Group> scan() {
    List<Group> found = new ArrayList<>();
    for (Path top : dirs(usageRoot)) {
      String name = top.getFileName().toString();
      if (name.equals("kubepods.slice") || name.equals("kubepods")) {
        pods(top, name, null, found);
        continue;
      }
      add(found, new Group(name, null, null, null));
      for (Path child : dirs(top)) {
        add(found, new Group(name + "/" + child.getFileName(), null, null, null));
      }
    }
    return found;
  }

  private void pods(Path dir, String path, String qos, List<Group> found) {
    for (Path child : dirs(dir)) {
      String name = child.getFileName().toString();
      String childPath = path + "/" + name;
      Matcher pod = POD.matcher(name);
      if (pod.matches()) {
        String uid = pod.group(1).replace('_', '-').toLowerCase(java.util.Locale.ROOT);
        String podQos = qos == null ? "guaranteed" : qos;
        add(found, new Group(childPath, uid, podQos, null));
        for (Path c : dirs(child)) {
          String cname = c.getFileName().toString();
          Matcher m = CONTAINER.matcher(cname);
          if (m.matches() && !cname.startsWith("crio-conmon-")) {
            add(found, new Group(childPath + "/" + cname, uid, podQos, m.group(1)));
          }
        }
      } else if (qos == null) {
        String q = name.replace("kubepods-", "").replace(".slice", "");
        if (QOS.contains(q)) {
          pods(child, childPath, q, found);
        }
      }
    }
  }

  private static void add(List<Group> found, Group g) {
    if (found.size() < MAX_GROUPS) {
      found.add(g);
    }
  }

  private static List<Path> dirs(Path dir) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
      ds.forEach(out::add);
    } catch (IOException | RuntimeException e) {
      // gone while listed (a pod that just ended): nothing under it
    }
    out.sort(null);
    return out;
  }

  /**
   * A group's counters now, or null when it is gone (or its files say nothing this can read). Pressure is read for
   * pods only (v2), the one level it is shown at.
   */
  public Counters read(Group g) {
    try {
      return version == 2 ? readV2(usageRoot.resolve(g.path()), g.isPod()) : readV1(g.path());
    } catch (IOException | RuntimeException e) {
      return null; // gone (NoSuchFileException) or not a counter this can read
    }
  }

  private static Counters readV2(Path dir, boolean withPressure) throws IOException {
    String stat = Files.readString(dir.resolve("cpu.stat"));
    Pressure pressure = null;
    if (withPressure) {
      try {
        pressure = Pressure.parse(dir.resolve("cpu.pressure").toString(), Files.readString(dir.resolve("cpu.pressure")));
      } catch (IOException e) {
        // no PSI for this group
      }
    }
    return new Counters(key(stat, "usage_usec"), key(stat, "nr_periods"), key(stat, "nr_throttled"),
        key(stat, "throttled_usec"), pressure);
  }

  private Counters readV1(String path) throws IOException {
    long usageNanos = Long.parseLong(Files.readString(usageRoot.resolve(path).resolve("cpuacct.usage")).trim());
    String stat;
    try {
      stat = Files.readString(cpuRoot.resolve(path).resolve("cpu.stat"));
    } catch (NoSuchFileException e) {
      stat = "";
    }
    return new Counters(usageNanos / 1000, key(stat, "nr_periods"), key(stat, "nr_throttled"),
        key(stat, "throttled_time") / 1000, null);
  }

  /** The value of {@code key} in a flat-keyed file ({@code key value} per line), 0 when absent. */
  static long key(String text, String key) {
    int at = 0;
    while ((at = text.indexOf(key, at)) >= 0) {
      boolean lineStart = at == 0 || text.charAt(at - 1) == '\n';
      int end = at + key.length();
      if (lineStart && end < text.length() && text.charAt(end) == ' ') {
        int eol = text.indexOf('\n', end);
        return Long.parseLong(text.substring(end + 1, eol < 0 ? text.length() : eol).trim());
      }
      at = end;
    }
    return 0;
  }

  /**
   * The group a process is in, from its {@code /proc/<pid>/cgroup} text: the v2 line ({@code 0::/…}), else
   * the v1 line of the cpuacct controller; null when neither is there. Without the leading slash.
   */
  public static String ofProcess(String procCgroup) {
    String v1 = null;
    for (String line : procCgroup.split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        return strip(f[2]);
      }
      if (v1 == null && List.of(f[1].split(",")).contains("cpuacct")) {
        v1 = strip(f[2]);
      }
    }
    return v1;
  }

  private static String strip(String p) {
    String s = p.trim();
    return s.startsWith("/") ? s.substring(1) : s;
  }

  /** The pod uid and container id a group path names (either may be null). */
  public static Group classify(String path) {
    String uid = null;
    String qos = null;
    String container = null;
    String[] parts = path.split("/");
    for (int i = 0; i < parts.length; i++) {
      Matcher pod = POD.matcher(parts[i]);
      if (pod.matches()) {
        uid = pod.group(1).replace('_', '-').toLowerCase(java.util.Locale.ROOT);
        qos = i > 0 && QOS.contains(parts[i - 1].replace("kubepods-", "").replace(".slice", ""))
            ? parts[i - 1].replace("kubepods-", "").replace(".slice", "") : "guaranteed";
        if (i + 1 < parts.length) {
          Matcher c = CONTAINER.matcher(parts[i + 1]);
          container = c.matches() ? c.group(1) : null;
        }
      }
    }
    return new Group(path, uid, qos, container);
  }
}

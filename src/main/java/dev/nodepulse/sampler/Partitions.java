package dev.nodepulse.sampler;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Real filesystems and their usage. Mount points come from {@code <procfs>/1/mounts} (the host's
 * mount namespace when procfs is the host's) or {@code <procfs>/mounts}; sizes are statvfs of the
 * mount point under {@code --rootfs}, through {@link File}'s space queries: a statvfs each, where
 * {@code Files.getFileStore} also parses the whole mount table again for every mount (~20 times the cost
 * here, more on a node with many pod volumes). Blocking: call off the event loop.
 */
final class Partitions {
  private Partitions() {}

  record Mount(String device, String mountPoint, String fsType) {}

  record Partition(String mountPoint, String device, String fsType, long totalBytes, long freeBytes, long availBytes) {
    long usedBytes() {
      return Math.max(0, totalBytes - freeBytes);
    }

    /** As df: used / (used + available to unprivileged users). */
    double usedPercent() {
      long denom = usedBytes() + availBytes;
      return denom <= 0 ? 0 : usedBytes() * 100.0 / denom;
    }
  }

  /** Pseudo, in-memory and layered filesystems: not partitions (as node_exporter's default excludes). */
  static final Set<String> IGNORED_FS_TYPES = Set.of("autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2",
      "configfs", "debugfs", "devpts", "devtmpfs", "efivarfs", "fuse.lxcfs", "fusectl", "hugetlbfs", "iso9660",
      "mqueue", "nsfs", "overlay", "proc", "procfs", "pstore", "ramfs", "rootfs", "rpc_pipefs", "securityfs",
      "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs", "nfsd", "aufs", "shm", "erofs");

  /** Mount points that are the system's or a container runtime's, not the node's disks. */
  static final Pattern IGNORED_MOUNT_POINTS = Pattern.compile(
      "^/(dev|proc|sys|run/credentials/.+|var/lib/docker/.+|var/lib/containers/storage/.+|var/lib/kubelet/.+"
          + "|run/containerd/.+|var/lib/containerd/.+|snap/.+)($|/)");

  static List<Mount> readMounts(Path procfs) throws IOException {
    Path hostInit = procfs.resolve("1").resolve("mounts");
    String text;
    try {
      text = Files.readString(hostInit);
    } catch (IOException e) {
      text = Files.readString(procfs.resolve("mounts"));
    }
    return parseMounts(text);
  }

  /** The real filesystems of a mounts file, one per mount point (the last mount wins, as in the kernel). */
  static List<Mount> parseMounts(String text) {
    Map<String, Mount> byPoint = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 3) {
        continue;
      }
      Mount m = new Mount(unescape(f[0]), unescape(f[1]), f[2]);
      if (IGNORED_FS_TYPES.contains(m.fsType()) || IGNORED_MOUNT_POINTS.matcher(m.mountPoint()).find()) {
        continue;
      }
      byPoint.remove(m.mountPoint());
      byPoint.put(m.mountPoint(), m);
    }
    return new ArrayList<>(byPoint.values());
  }

  /** Sizes of each mount, read under {@code rootfs}; a mount that cannot be read is left out. */
  static List<Partition> sizes(List<Mount> mounts, Path rootfs) {
    List<Partition> out = new ArrayList<>();
    for (Mount m : mounts) {
      File dir;
      try {
        dir = rootfs.resolve(m.mountPoint().substring(1)).toFile();
      } catch (InvalidPathException e) {
        continue;
      }
      long total = dir.getTotalSpace(); // 0 when it cannot be read: unmounted meanwhile, or not under --rootfs
      if (total <= 0) {
        continue;
      }
      out.add(new Partition(m.mountPoint(), m.device(), m.fsType(), total, dir.getFreeSpace(), dir.getUsableSpace()));
    }
    return out;
  }

  /** Mounts files escape space, tab, newline and backslash as octal ({@code \040}). */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}

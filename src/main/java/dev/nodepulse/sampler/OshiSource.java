package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
import dev.nodepulse.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import oshi.PlatformEnum;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.GlobalMemory;
import oshi.software.os.OSFileStore;
import oshi.software.os.OSProcess;
import oshi.software.os.OperatingSystem;
import oshi.util.GlobalConfig;

/**
 * The sampler where there is no {@code /proc} (macOS, Windows, the BSDs; Linux with {@code --sampler oshi}), on
 * OSHI and its native bridge JNA. Its figures are turned into the readings {@link ProcfsSource} gives: CPU
 * counters in USER_HZ ticks (OSHI counts milliseconds), memory in bytes, the same filesystem filter. What a
 * platform does not count is left out, never given as 0: the CPU modes outside {@link #cpuModes} and the load
 * averages where OSHI has none (Windows). README "Running on macOS, Windows and the BSDs" lists them.
 */
final class OshiSource implements SampleSource {
  private static final long MS_PER_TICK = (long) (1000 / ProcStat.USER_HZ);

  private final OperatingSystem os;
  private final CentralProcessor cpu;
  private final GlobalMemory memory;
  private final Set<String> modes;

  private OshiSource() {
    SystemInfo si = new SystemInfo();
    os = si.getOperatingSystem();
    cpu = si.getHardware().getProcessor();
    memory = si.getHardware().getMemory();
    modes = modes(SystemInfo.getCurrentPlatform());
  }

  /** OSHI on this platform; on Linux it reads {@code --procfs} (set before OSHI reads its configuration, once a process). */
  static OshiSource open(Config config) {
    try {
      if (SystemInfo.getCurrentPlatform() == PlatformEnum.LINUX && !config.procfs().equals(Path.of("/proc"))) {
        GlobalConfig.set(GlobalConfig.OSHI_UTIL_PROC_PATH, config.procfs().toString());
      }
      OshiSource source = new OshiSource();
      source.cpu.getSystemCpuLoadTicks(); // the first native call: a platform JNA cannot reach fails here, not at a tick
      return source;
    } catch (LinkageError e) {
      throw new IllegalStateException("--sampler oshi: OSHI cannot read this platform (" + System.getProperty("os.name")
          + " " + System.getProperty("os.arch") + "): " + e.getMessage(), e);
    }
  }

  /** The CPU modes each platform's kernel counts, as OSHI reads them; the rest it reports as 0 and are left out. */
  static Set<String> modes(PlatformEnum platform) {
    List<String> m = switch (platform) {
      case LINUX, ANDROID, GNU -> Sample.CPU_MODES;
      case MACOS -> List.of("user", "nice", "system", "idle");
      case WINDOWS, WINDOWSCE -> List.of("user", "system", "idle", "irq", "softirq");
      case FREEBSD, KFREEBSD, OPENBSD, NETBSD, DRAGONFLYBSD -> List.of("user", "nice", "system", "idle", "irq");
      case SOLARIS, AIX -> List.of("user", "system", "idle", "iowait");
      default -> List.of("user", "system", "idle");
    };
    return new LinkedHashSet<>(m);
  }

  @Override
  public String name() {
    return "oshi";
  }

  @Override
  public Set<String> cpuModes() {
    return modes;
  }

  @Override
  public HostFacts host(String nodeName) {
    OperatingSystem.OSVersionInfo v = os.getVersionInfo();
    String hostname = os.getNetworkParams().getHostName();
    if (hostname == null || hostname.isBlank()) {
      try {
        hostname = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        hostname = "localhost";
      }
    }
    String osName = (os.getFamily() + " " + blankIfNull(v.getVersion())).trim();
    if (!blankIfNull(v.getCodeName()).isBlank()) {
      osName += " (" + v.getCodeName() + ")";
    }
    String build = v.getBuildNumber() == null || v.getBuildNumber().isBlank() ? "unknown" : v.getBuildNumber();
    return new HostFacts(hostname, nodeName, osName, build, System.getProperty("os.arch"),
        cpu.getProcessorIdentifier().getName(), Math.max(1, cpu.getLogicalProcessorCount()),
        Math.max(1, cpu.getPhysicalProcessorCount()), os.getSystemBootTime());
  }

  private static String blankIfNull(String s) {
    return s == null ? "" : s;
  }

  @Override
  public Reading read() {
    long[] total = cpu.getSystemCpuLoadTicks();
    long[][] perCpu = cpu.getProcessorCpuLoadTicks();
    List<CpuCounters> cores = new ArrayList<>(perCpu.length);
    for (int i = 0; i < perCpu.length; i++) {
      cores.add(counters(i, perCpu[i]));
    }
    ProcStat stat = new ProcStat(counters(CpuCounters.TOTAL, total), cores, os.getSystemBootTime());
    double[] l = cpu.getSystemLoadAverage(3);
    LoadAvg load = l.length == 3 && l[0] >= 0 && l[1] >= 0 && l[2] >= 0 ? new LoadAvg(l[0], l[1], l[2]) : null;
    long swapTotal = memory.getVirtualMemory().getSwapTotal();
    MemInfo mem = new MemInfo(memory.getTotal(), Math.min(memory.getAvailable(), memory.getTotal()), swapTotal,
        Math.max(0, swapTotal - memory.getVirtualMemory().getSwapUsed()));
    return new Reading(stat, load, mem);
  }

  /** OSHI's tick array (milliseconds in user, nice, system, idle, iowait, irq, softirq, steal) as USER_HZ counters. */
  private static CpuCounters counters(int index, long[] ms) {
    long[] t = new long[8];
    for (int i = 0; i < t.length && i < ms.length; i++) {
      t[i] = Math.max(0, ms[i]) / MS_PER_TICK;
    }
    return new CpuCounters(index, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0, 0);
  }

  @Override
  public List<Partitions.Partition> partitions() {
    Map<String, Partitions.Partition> byMount = new LinkedHashMap<>();
    for (OSFileStore s : os.getFileSystem().getFileStores()) {
      String mount = s.getMount();
      if (mount == null || Partitions.IGNORED_FS_TYPES.contains(s.getType())
          || Partitions.IGNORED_MOUNT_POINTS.matcher(mount).find()) {
        continue;
      }
      long total = s.getTotalSpace();
      if (total <= 0) {
        continue;
      }
      byMount.remove(mount);
      byMount.put(mount, new Partitions.Partition(mount, s.getVolume(), s.getType(), total, s.getFreeSpace(),
          s.getUsableSpace()));
    }
    return new ArrayList<>(byMount.values());
  }

  @Override
  public Processes.Scan processes(long bootTimeSeconds, long atNanos) {
    long bootMs = bootTimeSeconds * 1000;
    Map<Integer, Processes.Proc> procs = new HashMap<>();
    for (OSProcess p : os.getProcesses()) {
      long startTicks = Math.max(0, (p.getStartTime() - bootMs) / MS_PER_TICK);
      procs.put(p.getProcessID(), new Processes.Proc(p.getProcessID(), p.getParentProcessID(), p.getName(),
          p.getUser() == null ? "" : p.getUser(), (p.getKernelTime() + p.getUserTime()) / MS_PER_TICK, startTicks,
          p.getResidentMemory()));
    }
    return new Processes.Scan(atNanos, (System.currentTimeMillis() - bootMs) / MS_PER_TICK, bootTimeSeconds, procs);
  }
}

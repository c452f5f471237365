package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
import dev.nodepulse.config.Config;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The Linux sampler: plain reads of {@code --procfs} and statvfs under {@code --rootfs}, no native library. */
final class ProcfsSource implements SampleSource {
  private static final Set<String> MODES = new LinkedHashSet<>(Sample.CPU_MODES);

  private final Path procfs;
  private final Path rootfs;

  ProcfsSource(Config config) {
    this.procfs = config.procfs();
    this.rootfs = config.rootfs();
  }

  @Override
  public String name() {
    return "procfs";
  }

  @Override
  public Set<String> cpuModes() {
    return MODES;
  }

  @Override
  public HostFacts host(String nodeName) throws IOException {
    ProcStat stat = ProcStat.read(procfs);
    return HostFacts.read(procfs, rootfs, nodeName, stat.perCpu().size(), stat.bootTimeSeconds());
  }

  @Override
  public Reading read() throws IOException {
    return new Reading(ProcStat.read(procfs), LoadAvg.read(procfs), MemInfo.read(procfs));
  }

  @Override
  public List<Partitions.Partition> partitions() throws IOException {
    return Partitions.sizes(Partitions.readMounts(procfs), rootfs);
  }

  @Override
  public Processes.Scan processes(long bootTimeSeconds, long atNanos) {
    return Processes.scan(procfs, rootfs, bootTimeSeconds, atNanos);
  }
}

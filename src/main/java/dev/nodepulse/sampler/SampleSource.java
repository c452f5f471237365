package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
import dev.nodepulse.config.Config;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Where the sampler's figures come from: {@link ProcfsSource} on Linux, {@link OshiSource} where there is no
 * {@code /proc}. Both give the same typed readings, so the sample, the page, REST, history and metrics do not
 * know which one ran. Every method but {@link #name} and {@link #cpuModes} blocks: call them off the event loop.
 */
interface SampleSource extends AutoCloseable {

  /** One reading for a sample: CPU counters, the load averages ({@code null} where the platform has none), memory. */
  record Reading(ProcStat stat, LoadAvg load, MemInfo mem) {}

  /** {@code procfs} or {@code oshi}, as {@code --sampler} names it. */
  String name();

  /** The modes of {@link Sample#CPU_MODES} this platform counts; the others are absent from the sample. */
  Set<String> cpuModes();

  /** Host facts; {@code nodeName} is the configured one. */
  HostFacts host(String nodeName) throws IOException;

  /** CPU counters (in USER_HZ ticks, as {@code /proc/stat}), load averages and memory, now. */
  Reading read() throws IOException;

  /** The node's real filesystems and their usage. */
  List<Partitions.Partition> partitions() throws IOException;

  /** Every process now, for the busiest-processes ranking. */
  Processes.Scan processes(long bootTimeSeconds, long atNanos);

  @Override
  default void close() {}

  /**
   * The source {@code --sampler} chose. OSHI (and its native bridge, JNA) is only reached through this
   * branch: an agent on procfs never loads one of its classes.
   */
  static SampleSource of(Config config) {
    return config.sampler() == Config.Sampler.OSHI ? OshiSource.open(config) : new ProcfsSource(config);
  }
}

package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sample ({@link Sample}, published as its JSON on {@link Sample#ADDRESS}) from the sampler's readings. Whatever
 * the source, the shape is one: a figure the platform does not count (a CPU mode, the load averages) is left out,
 * not 0.
 */
final class SampleJson {
  private SampleJson() {}

  /** The figures of one sample: CPU % and its one-minute average, the interval's breakdown, the reading, the filesystems. */
  static JsonObject of(long t, double percent, Double avg1m, CpuMath.Interval interval, SampleSource.Reading r,
      List<Partitions.Partition> partitions, Set<String> modes) {
    return sample(t, percent, avg1m, interval, r, partitions, modes).toJson();
  }

  /** The sample as a record (percentages rounded to 0.01; only the CPU modes in {@code modes}). */
  static Sample sample(long t, double percent, Double avg1m, CpuMath.Interval interval, SampleSource.Reading r,
      List<Partitions.Partition> partitions, Set<String> modes) {
    List<Double> perCore = new ArrayList<>();
    List<Sample.Modes> perCoreTimes = new ArrayList<>();
    for (CpuTimes c : interval.perCpu()) {
      perCore.add(round(c.busy()));
      perCoreTimes.add(times(c, modes));
    }
    List<Sample.Modes> seconds = new ArrayList<>();
    for (CpuCounters c : r.stat().perCpu()) {
      long[] ticks = {c.user(), c.nice(), c.system(), c.idle(), c.iowait(), c.irq(), c.softirq(), c.steal()};
      Map<String, Double> byMode = new LinkedHashMap<>();
      for (int i = 0; i < ticks.length; i++) {
        String mode = Sample.CPU_MODES.get(i);
        if (modes.contains(mode)) {
          byMode.put(mode, ticks[i] / ProcStat.USER_HZ);
        }
      }
      seconds.add(new Sample.Modes(c.label(), byMode));
    }
    Sample.Load load = r.load() == null ? null : new Sample.Load(r.load().one(), r.load().five(), r.load().fifteen());
    MemInfo m = r.mem();
    return new Sample(t, new Sample.Cpu(round(percent), perCore, avg1m == null ? null : round(avg1m), load),
        times(interval.total(), modes), perCoreTimes, seconds,
        new Sample.Memory(m.totalBytes(), m.availableBytes(), m.usedBytes(), m.swapTotalBytes(), m.swapUsedBytes()),
        partitions.stream().map(p -> new Sample.Partition(p.mountPoint(), p.device(), p.fsType(), p.totalBytes(),
            p.usedBytes(), p.freeBytes(), p.availBytes(), round(p.usedPercent()))).toList());
  }

  /** The breakdown of one cpu in percent (two decimals), the modes the platform counts only. */
  private static Sample.Modes times(CpuTimes c, Set<String> modes) {
    double[] shares = {c.user(), c.nice(), c.system(), c.idle(), c.iowait(), c.irq(), c.softirq(), c.steal()};
    Map<String, Double> byMode = new LinkedHashMap<>();
    for (int i = 0; i < shares.length; i++) {
      String mode = Sample.CPU_MODES.get(i);
      if (modes.contains(mode)) {
        byMode.put(mode, round(shares[i]));
      }
    }
    return new Sample.Modes(c.cpu(), byMode);
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}

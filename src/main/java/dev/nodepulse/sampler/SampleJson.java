package dev.nodepulse.sampler;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The sample as {@code nodepulse.sampler.sample} publishes it (docs/architecture.md). Whatever the source, the
 * shape is one: a figure the platform does not count (a CPU mode, the load averages) is left out, not 0.
 */
final class SampleJson {
  private SampleJson() {}

  /** The figures of one sample: CPU % and its one-minute average, the interval's breakdown, the reading, the filesystems. */
  static JsonObject of(long t, double percent, Double avg1m, CpuMath.Interval interval, SampleSource.Reading r,
      List<Partitions.Partition> partitions, Set<String> modes) {
    JsonArray perCore = new JsonArray();
    JsonArray perCoreTimes = new JsonArray();
    for (CpuTimes c : interval.perCpu()) {
      perCore.add(round(c.busy()));
      perCoreTimes.add(times(c, modes));
    }
    JsonArray seconds = new JsonArray();
    for (CpuCounters c : r.stat().perCpu()) {
      JsonObject s = new JsonObject().put("cpu", c.label());
      long[] ticks = {c.user(), c.nice(), c.system(), c.idle(), c.iowait(), c.irq(), c.softirq(), c.steal()};
      for (int i = 0; i < ticks.length; i++) {
        String mode = SampleSource.ALL_CPU_MODES.get(i);
        if (modes.contains(mode)) {
          s.put(mode, ticks[i] / ProcStat.USER_HZ);
        }
      }
      seconds.add(s);
    }
    JsonObject cpu = new JsonObject().put("percent", round(percent)).put("perCore", perCore)
        .put("avg1m", avg1m == null ? null : round(avg1m));
    if (r.load() != null) {
      cpu.put("load", new JsonObject().put("1m", r.load().one()).put("5m", r.load().five()).put("15m", r.load().fifteen()));
    }
    JsonArray parts = new JsonArray();
    partitions.forEach(p -> parts.add(p.toJson()));
    MemInfo m = r.mem();
    return new JsonObject()
        .put("t", t)
        .put("sampledAt", Instant.ofEpochMilli(t).toString())
        .put("cpu", cpu)
        .put("times", new JsonObject().put("total", times(interval.total(), modes)).put("perCore", perCoreTimes))
        .put("seconds", seconds)
        .put("memory", new JsonObject().put("totalBytes", m.totalBytes()).put("availableBytes", m.availableBytes())
            .put("usedBytes", m.usedBytes()).put("swapTotalBytes", m.swapTotalBytes()).put("swapUsedBytes", m.swapUsedBytes()))
        .put("partitions", parts);
  }

  /** The breakdown of one cpu in percent (two decimals), the modes the platform counts only. */
  private static JsonObject times(CpuTimes c, Set<String> modes) {
    JsonObject all = c.toJson();
    JsonObject out = new JsonObject().put("cpu", c.cpu());
    for (String mode : SampleSource.ALL_CPU_MODES) {
      if (modes.contains(mode)) {
        out.put(mode, round(all.getDouble(mode)));
      }
    }
    return out;
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}

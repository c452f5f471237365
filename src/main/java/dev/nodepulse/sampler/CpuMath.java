package dev.nodepulse.sampler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU percentages from the deltas of two {@code /proc/stat} snapshots. Pure functions.
 *
 * <ul>
 *   <li>A cpu is matched by index; one that went offline is left out, one that came online has no
 *       earlier counters and reports 0 for that interval.
 *   <li>Counters that went backwards as a whole (reset, wrap, a cpu re-onlined) give an all-zero
 *       interval for that cpu; a single mode going backwards (iowait can, with nohz) counts as 0.
 *   <li>No time passed (zero total delta) gives 0, never NaN.
 *   <li>{@code guest}/{@code guestNice} are already inside {@code user}/{@code nice}: not added again.
 * </ul>
 */
final class CpuMath {
  private CpuMath() {}

  /** Figures of one interval: the node's breakdown and one per cpu present in {@code cur}. */
  record Interval(CpuTimes total, List<CpuTimes> perCpu) {
    Interval {
      perCpu = List.copyOf(perCpu);
    }
  }

  static Interval between(ProcStat prev, ProcStat cur) {
    Map<Integer, CpuCounters> before = new HashMap<>();
    for (CpuCounters c : prev.perCpu()) {
      before.put(c.cpu(), c);
    }
    List<CpuTimes> perCpu = new ArrayList<>();
    for (CpuCounters c : cur.perCpu()) {
      CpuCounters p = before.get(c.cpu());
      perCpu.add(p == null ? CpuTimes.zero(c.label()) : times(p, c));
    }
    return new Interval(times(prev.total(), cur.total()), perCpu);
  }

  /** The time breakdown of one cpu between two readings of its counters. */
  static CpuTimes times(CpuCounters a, CpuCounters b) {
    String label = b.label();
    if (Long.compareUnsigned(b.sum(), a.sum()) < 0) {
      return CpuTimes.zero(label);
    }
    long user = delta(a.user(), b.user());
    long nice = delta(a.nice(), b.nice());
    long system = delta(a.system(), b.system());
    long idle = delta(a.idle(), b.idle());
    long iowait = delta(a.iowait(), b.iowait());
    long irq = delta(a.irq(), b.irq());
    long softirq = delta(a.softirq(), b.softirq());
    long steal = delta(a.steal(), b.steal());
    double all = (double) user + nice + system + idle + iowait + irq + softirq + steal;
    if (all <= 0) {
      return CpuTimes.zero(label);
    }
    return new CpuTimes(label, pct(user, all), pct(nice, all), pct(system, all), pct(idle, all),
        pct(iowait, all), pct(irq, all), pct(softirq, all), pct(steal, all));
  }

  /** A counter's increase; 0 when it went backwards. */
  static long delta(long before, long after) {
    long d = after - before;
    return d < 0 ? 0 : d;
  }

  private static double pct(long part, double all) {
    return CpuTimes.clamp(part * 100.0 / all);
  }
}

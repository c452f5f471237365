package dev.nodepulse.sampler;

/** Share of one interval spent in each mode, in percent (they add up to 100, or are all 0). */
record CpuTimes(String cpu, double user, double nice, double system, double idle, double iowait,
    double irq, double softirq, double steal) {

  /** Busy percent: everything but idle and iowait (as psutil and top count it); 0 for an empty interval. */
  double busy() {
    return clamp(user + nice + system + irq + softirq + steal);
  }

  static CpuTimes zero(String cpu) {
    return new CpuTimes(cpu, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  static double clamp(double p) {
    return Double.isNaN(p) ? 0 : Math.max(0, Math.min(100, p));
  }
}

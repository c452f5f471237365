package dev.nodepulse.sampler;

/**
 * One line of {@code /proc/stat}: cumulative time per mode, in USER_HZ ticks. {@code cpu} is the
 * cpu index, or {@link #TOTAL} for the aggregate {@code cpu} line. {@code guest} and
 * {@code guestNice} are already included in {@code user} and {@code nice} by the kernel.
 */
record CpuCounters(int cpu, long user, long nice, long system, long idle, long iowait, long irq,
    long softirq, long steal, long guest, long guestNice) {

  static final int TOTAL = -1;

  /** Sum of the modes that make up wall time (guest excluded: it is inside user/nice). */
  long sum() {
    return user + nice + system + idle + iowait + irq + softirq + steal;
  }

  String label() {
    return cpu == TOTAL ? "total" : Integer.toString(cpu);
  }
}

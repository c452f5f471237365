package dev.nodepulse.sampler;

import dev.nodepulse.config.Config;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * bench/oshi-parity.sh's measuring side (a main, not a test): both sources read at the start and end of each
 * 1 s window, in the same order; prints one JSON line with the CPU % of each, the worst difference, and the CPU
 * time one read costs each source. Usage: ParityBench label windows
 */
public final class ParityBench {
  private ParityBench() {}

  public static void main(String[] args) throws Exception {
    String label = args[0];
    int windows = Integer.parseInt(args[1]);
    Config config = Config.forTest(Files.createTempDirectory("parity"));
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    try (SampleSource procfs = new ProcfsSource(config); SampleSource oshi = OshiSource.open(config)) {
      for (int i = 0; i < 5; i++) { // warm both up
        procfs.read();
        oshi.read();
      }
      List<Double> p = new ArrayList<>();
      List<Double> o = new ArrayList<>();
      double worst = 0;
      long[] cpuNs = new long[2];
      ProcStat p0 = timed(mx, cpuNs, 0, () -> procfs.read().stat());
      ProcStat o0 = timed(mx, cpuNs, 1, () -> oshi.read().stat());
      for (int w = 0; w < windows; w++) {
        Thread.sleep(1000);
        ProcStat p1 = timed(mx, cpuNs, 0, () -> procfs.read().stat());
        ProcStat o1 = timed(mx, cpuNs, 1, () -> oshi.read().stat());
        double pb = CpuMath.between(p0, p1).total().busy();
        double ob = CpuMath.between(o0, o1).total().busy();
        p.add(pb);
        o.add(ob);
        worst = Math.max(worst, Math.abs(pb - ob));
        p0 = p1;
        o0 = o1;
      }
      long[] partNs = new long[2];
      for (int i = 0; i < 10; i++) {
        timed(mx, partNs, 0, procfs::partitions);
        timed(mx, partNs, 1, oshi::partitions);
      }
      System.out.printf("{\"label\":\"%s\",\"windows\":%d,\"procfsMeanPct\":%.2f,\"oshiMeanPct\":%.2f,\"worstDiffPp\":%.2f,"
              + "\"readCpuUs\":{\"procfs\":%.0f,\"oshi\":%.0f},\"partitionsCpuUs\":{\"procfs\":%.0f,\"oshi\":%.0f},"
              + "\"procfsPct\":%s,\"oshiPct\":%s}%n",
          label, windows, mean(p), mean(o), worst, cpuNs[0] / 1e3 / (windows + 1), cpuNs[1] / 1e3 / (windows + 1),
          partNs[0] / 1e3 / 10, partNs[1] / 1e3 / 10, round(p), round(o));
    }
  }

  private static <T> T timed(ThreadMXBean mx, long[] acc, int i, Callable<T> read) throws Exception {
    long t0 = mx.getCurrentThreadCpuTime();
    T r = read.call();
    acc[i] += mx.getCurrentThreadCpuTime() - t0;
    return r;
  }

  private static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  private static String round(List<Double> v) {
    return Arrays.toString(v.stream().mapToDouble(d -> Math.round(d * 10) / 10.0).toArray());
  }
}

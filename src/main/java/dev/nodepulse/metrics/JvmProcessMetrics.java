package dev.nodepulse.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The agent's own process and JVM series, under the names and meanings of client_java's JVM
 * instrumentation (so the dashboard's panels work with either): CPU, resident memory, start time, heap and
 * non-heap, threads and GC time. Registered by hand instead of client_java's {@code JvmMetrics}, which
 * lists every diagnostic command through JMX at start (about 560 more classes, JFR's among them, in every
 * agent) and counts thread states and deadlocks at every scrape (docs/benchmarks.md).
 */
final class JvmProcessMetrics {
  private static final Path STATUS = Path.of("/proc/self/status"); // this process, not the node (--procfs)

  private JvmProcessMetrics() {}

  static void register(PrometheusRegistry registry) {
    ProcessHandle.Info self = ProcessHandle.current().info();
    CounterWithCallback.builder().name("process_cpu_seconds_total").help("Total user and system CPU time spent in seconds.")
        .unit(Unit.SECONDS)
        // read at each scrape: an Info is a snapshot taken when it is asked for
        .callback(cb -> ProcessHandle.current().info().totalCpuDuration().ifPresent(d -> cb.call(seconds(d))))
        .register(registry);
    self.startInstant().ifPresent(start -> GaugeWithCallback.builder().name("process_start_time_seconds")
        .help("Start time of the process since unix epoch in seconds.").unit(Unit.SECONDS)
        .callback(cb -> cb.call(start.toEpochMilli() / 1000.0)).register(registry));
    GaugeWithCallback.builder().name("process_resident_memory_bytes").help("Resident memory size in bytes.").unit(Unit.BYTES)
        .callback(cb -> {
          long rss = residentBytes();
          if (rss >= 0) {
            cb.call(rss);
          }
        }).register(registry);

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    GaugeWithCallback.builder().name("jvm_memory_used_bytes").help("Used bytes of a given JVM memory area.").unit(Unit.BYTES)
        .labelNames("area").callback(cb -> {
          cb.call(memory.getHeapMemoryUsage().getUsed(), "heap");
          cb.call(memory.getNonHeapMemoryUsage().getUsed(), "nonheap");
        }).register(registry);
    GaugeWithCallback.builder().name("jvm_memory_committed_bytes").help("Committed (bytes) of a given JVM memory area.")
        .unit(Unit.BYTES).labelNames("area").callback(cb -> {
          cb.call(memory.getHeapMemoryUsage().getCommitted(), "heap");
          cb.call(memory.getNonHeapMemoryUsage().getCommitted(), "nonheap");
        }).register(registry);
    GaugeWithCallback.builder().name("jvm_memory_max_bytes").help("Max (bytes) of a given JVM memory area.").unit(Unit.BYTES)
        .labelNames("area").callback(cb -> {
          max(cb, memory.getHeapMemoryUsage(), "heap");
          max(cb, memory.getNonHeapMemoryUsage(), "nonheap");
        }).register(registry);

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    GaugeWithCallback.builder().name("jvm_threads_current").help("Current thread count of a JVM")
        .callback(cb -> cb.call(threads.getThreadCount())).register(registry);
    GaugeWithCallback.builder().name("jvm_threads_daemon").help("Daemon thread count of a JVM")
        .callback(cb -> cb.call(threads.getDaemonThreadCount())).register(registry);

    List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    SummaryWithCallback.builder().name("jvm_gc_collection_seconds").help("Time spent in a given JVM garbage collector in seconds.")
        .unit(Unit.SECONDS).labelNames("gc").callback(cb -> {
          for (GarbageCollectorMXBean gc : collectors) {
            cb.call(gc.getCollectionCount(), gc.getCollectionTime() / 1000.0, Quantiles.EMPTY, gc.getName());
          }
        }).register(registry);
  }

  private static void max(GaugeWithCallback.Callback cb, MemoryUsage usage, String area) {
    if (usage.getMax() >= 0) { // -1: no limit
      cb.call(usage.getMax(), area);
    }
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  /** VmRSS of this process from /proc/self/status, or -1 where there is none. */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024; // always in kB
        }
      }
    } catch (IOException | RuntimeException e) {
      // no procfs (not Linux): the series is left out
    }
    return -1;
  }
}

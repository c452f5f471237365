package dev.nodepulse.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The agent's own series, read from this test's JVM and /proc/self: the ones the dashboard draws. */
class JvmProcessMetricsTest {
  private static final String BODY = NodepulseMetrics.register(new PrometheusRegistry(), true).scrape(null).body();

  @Test
  void theDashboardsProcessAndJvmSeriesAreThereWithTheirTypes() {
    assertThat(BODY).contains("# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_start_time_seconds gauge", "# TYPE jvm_memory_used_bytes gauge", "# TYPE jvm_threads_current gauge",
        "# TYPE jvm_gc_collection_seconds summary", "jvm_memory_used_bytes{area=\"heap\"}",
        "jvm_memory_used_bytes{area=\"nonheap\"}");
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      assertThat(BODY).contains("jvm_gc_collection_seconds_sum{gc=\"" + gc.getName() + "\"}");
    }
  }

  @Test
  void residentMemoryAndCpuAreThisProcesssOwn() throws Exception {
    double rss = value("process_resident_memory_bytes");
    long statusKb = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D+", ""))).findFirst().orElseThrow();
    // the same order of magnitude as this JVM's VmRSS now (it moves between the two readings)
    assertThat(rss).isGreaterThan(statusKb * 1024 / 4.0).isLessThan(statusKb * 1024 * 4.0);
    assertThat(value("process_cpu_seconds_total")).isGreaterThan(0);
    assertThat(value("jvm_threads_current")).isGreaterThanOrEqualTo(1);
    assertThat(value("process_start_time_seconds") * 1000).isCloseTo(
        (double) ManagementFactory.getRuntimeMXBean().getStartTime(), org.assertj.core.data.Offset.offset(2000.0));
  }

  @Test
  void cpuTimeIsReadAtEachScrapeNotAtRegistration() {
    NodepulseMetrics metrics = NodepulseMetrics.register(new PrometheusRegistry(), true);
    double before = value(metrics.scrape(null).body(), "process_cpu_seconds_total");
    long end = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() + 300_000_000L;
    long spin = 0;
    while (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() < end) {
      spin++; // 0.3 s of this thread's CPU time, whatever the machine's load
    }
    assertThat(spin).isPositive();
    assertThat(value(metrics.scrape(null).body(), "process_cpu_seconds_total")).isGreaterThanOrEqualTo(before + 0.25);
  }

  private static double value(String series) {
    return value(BODY, series);
  }

  private static double value(String body, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
    assertThat(m.find()).as(series).isTrue();
    return Double.parseDouble(m.group(1));
  }
}

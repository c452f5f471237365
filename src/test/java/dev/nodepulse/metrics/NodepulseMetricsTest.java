package dev.nodepulse.metrics;

import dev.nodepulse.bus.Sample;
import dev.nodepulse.bus.TaskRun;
import dev.nodepulse.bus.TaskState;
import dev.nodepulse.bus.WebRequest;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Golden exposition of NodepulseMetrics on a private registry fed a fixed sample and fixed events. */
class NodepulseMetricsTest {

  static String resource(String name) {
    try (InputStream in = NodepulseMetricsTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static NodepulseMetrics fed() {
    NodepulseMetrics m = NodepulseMetrics.register(new PrometheusRegistry(), false);
    m.sample(Sample.fromJson(new JsonObject(resource("/sample.json"))));
    // the outcome words the scheduler sends on nodepulse.tasks.run (docs/architecture.md)
    m.taskRun(run("shop", "warm", "http", "succeeded", 0.2, 0.003));
    m.taskRun(run("shop", "warm", "http", "failed", 3, 0.02));
    m.taskRun(run("default", "pi", "compute", "succeeded", 12, 2));
    m.taskRun(run("shop", "ping", "tcp", "timeout", 2, 0.01));
    m.taskRun(run("shop", "meta", "http", "denied", 0.001, 0.004));
    m.taskRun(run("default", "pi", "compute", "cancelled", 0.5, 0.001));
    m.taskRun(run("default", "nightly", "pipe", "missed", 0, 30));
    m.taskChanged(task("shop", "warm", "Scheduled"));
    m.taskChanged(task("shop", "warm", "Running"));       // same task: the last phase counts
    m.taskChanged(task("default", "pi", "Succeeded"));
    m.taskChanged(task("default", "gone", "Failed"));
    m.taskChanged(deleted("default", "gone", "Failed"));
    m.taskChanged(task("default", "old", "Pending"));
    m.taskChanged(deleted("default", "old", "Pending"));
    m.httpRequest(new WebRequest("GET", "/api/v1/tasks/:namespace/:name", 200));
    m.httpRequest(new WebRequest("GET", "/api/v1/tasks/:namespace/:name", 200));
    m.httpRequest(new WebRequest("POST", "/api/v1/sum", 415));
    m.liveClients(3);
    return m;
  }

  static TaskRun run(String namespace, String name, String target, String outcome, double seconds, double late) {
    return TaskRun.attempt(namespace, name, target, outcome, seconds, late);
  }

  static TaskState task(String namespace, String name, String phase) {
    return new TaskState(namespace, name, 1, phase, null, null, null, false);
  }

  static TaskState deleted(String namespace, String name, String phase) {
    return new TaskState(namespace, name, 1, phase, null, null, null, true);
  }

  @Test
  void prometheusTextMatchesTheGoldenFile() throws IOException {
    NodepulseMetrics.Exposition e = fed().scrape("text/plain");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(Path.of("src/test/resources/metrics/golden.prom"), e.body());
    }
    assertThat(e.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    assertThat(e.body()).isEqualTo(resource("/metrics/golden.prom"));
  }

  @Test
  void openMetricsWhenAsked() {
    NodepulseMetrics.Exposition e = fed().scrape("application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
    assertThat(e.contentType()).startsWith("application/openmetrics-text; version=1.0.0");
    assertThat(e.body()).contains("nodepulse_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1234.5").endsWith("# EOF\n");
  }

  @Test
  void perCoreUsageIsLabelledWithTheCpuNotItsPlaceInTheList() {
    // cpu1 is offline: the lists hold cpu0 and cpu2
    JsonObject sample = new JsonObject(resource("/sample.json"));
    sample.getJsonObject("times").getJsonArray("perCore").getJsonObject(0).put("cpu", "0");
    sample.getJsonObject("times").getJsonArray("perCore").getJsonObject(1).put("cpu", "2");
    sample.getJsonArray("seconds").getJsonObject(1).put("cpu", "2");
    NodepulseMetrics m = NodepulseMetrics.register(new PrometheusRegistry(), false);
    m.sample(Sample.fromJson(sample));
    String body = m.scrape(null).body();
    assertThat(body).contains("nodepulse_cpu_usage_ratio{cpu=\"0\"} 0.1", "nodepulse_cpu_usage_ratio{cpu=\"2\"} 0.15",
        "nodepulse_cpu_seconds_total{cpu=\"2\",mode=\"user\"} 1000.25").doesNotContain("cpu=\"1\"");
  }

  @Test
  void noSampleYetMeansNoNodeSeries() {
    String body = NodepulseMetrics.register(new PrometheusRegistry(), false).scrape(null).body();
    assertThat(body).doesNotContain("nodepulse_cpu_usage_ratio{", "nodepulse_load1 ", "nodepulse_filesystem_size_bytes{")
        .contains("nodepulse_tasks{phase=\"Running\"} 0.0", "nodepulse_live_clients 0.0");
  }

  @Test
  void aBurstOfMissedDueTimesIsOneEventCountingEach() {
    NodepulseMetrics m = NodepulseMetrics.register(new PrometheusRegistry(), false);
    // what the scheduler's metrics sink sends for a MISSED burst (BusSinks.metrics: StatusSink.missed)
    m.taskRun(TaskRun.burst("shop", "tick", "http", "missed", 15));
    m.taskRun(run("shop", "tick", "http", "succeeded", 0.1, 0.5));
    String body = m.scrape(null).body();
    assertThat(body).contains("nodepulse_task_runs_total{outcome=\"missed\",target=\"http\"} 15.0",
        "nodepulse_task_runs_total{outcome=\"succeeded\",target=\"http\"} 1.0",
        "nodepulse_task_lateness_seconds_count 1");
  }
}

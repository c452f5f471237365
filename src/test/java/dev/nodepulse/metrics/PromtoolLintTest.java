package dev.nodepulse.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.testing.Tools;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real /metrics scrape from a started agent passes {@code promtool check metrics} without findings. */
class PromtoolLintTest {
  @TempDir Path tmp;

  @Test
  void realScrapePassesPromtool() throws Exception {
    Agent agent = Agent.start(Config.forTest(tmp)).await();
    try {
      WebClient client = WebClient.create(agent.vertx());
      client.get(agent.httpPort(), "127.0.0.1", "/api/v1/sum?a=1").send().await(); // so request counters have a series
      HttpResponse<Buffer> r = client.get(agent.httpPort(), "127.0.0.1", "/metrics").send().await();
      assertThat(r.statusCode()).isEqualTo(200);
      String text = r.bodyAsString();
      assertThat(text).contains("# TYPE nodepulse_tasks gauge", "# TYPE jvm_memory_used_bytes gauge");

      assertPromtoolClean(text);
    } finally {
      agent.stop().await();
    }
  }

  @Test
  void everyNodepulseSeriesPassesPromtool() throws Exception {
    // the golden feed has every nodepulse series with values, including those a fresh agent lacks
    assertPromtoolClean(NodepulseMetricsTest.fed().scrape(null).body());
  }

  @Test
  void thePerTaskSeriesPassPromtool() throws Exception {
    NodepulseMetrics m = TaskHealthMetricsTest.exported();
    m.taskChanged(TaskHealthMetricsTest.task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    m.taskChanged(TaskHealthMetricsTest.task("warm", 1, "{\"every\": \"30s\"}", "FAILED", "2026-12-04T17:00:30Z"));
    String text = m.scrape(null).body();
    assertThat(text).contains("nodepulse_task_last_failure_timestamp_seconds{", "nodepulse_task_interval_seconds{");
    assertPromtoolClean(text);
  }

  private static void assertPromtoolClean(String text) throws Exception {
    Process p = new ProcessBuilder(Tools.promtool().toString(), "check", "metrics").redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(out).as("promtool findings").isEmpty();
    assertThat(p.exitValue()).as("promtool exit code; output: %s", out).isZero();
  }
}

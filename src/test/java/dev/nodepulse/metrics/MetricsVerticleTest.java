package dev.nodepulse.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.bus.LiveClients;
import dev.nodepulse.bus.Sample;
import dev.nodepulse.bus.TaskRun;
import dev.nodepulse.bus.TaskState;
import dev.nodepulse.bus.WebRequest;
import dev.nodepulse.config.Config;
import dev.nodepulse.sampler.SamplerVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics verticle alone: fed only through the event-bus addresses, read through {@link MetricsVerticle#SCRAPE}. */
class MetricsVerticleTest {
  @TempDir Path tmp;
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    vertx.deployVerticle(new MetricsVerticle(Config.forTest(tmp))).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private JsonObject scrape(String accept) {
    return vertx.eventBus().<JsonObject>request(MetricsVerticle.SCRAPE, new JsonObject().put("accept", accept)).await().body();
  }

  @Test
  void seriesFollowTheEventsOnTheBus() {
    var bus = vertx.eventBus();
    bus.publish(Sample.ADDRESS, new JsonObject(NodepulseMetricsTest.resource("/sample.json")));
    bus.publish(TaskRun.ADDRESS, TaskRun.attempt("a", "b", "tcp", "timeout", 2.0, 0.5).toJson());
    bus.publish(TaskState.ADDRESS, NodepulseMetricsTest.task("a", "b", "Failed").toJson());
    bus.publish(WebRequest.ADDRESS, new JsonObject().put("method", "GET").put("route", "/api/v1/cpu").put("status", 200));
    bus.publish(LiveClients.ADDRESS, new JsonObject().put("count", 2));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonObject s = scrape(null);
      assertThat(s.getString("contentType")).startsWith("text/plain; version=0.0.4");
      assertThat(s.getString("body")).contains(
          "nodepulse_cpu_usage_ratio{cpu=\"total\"} 0.125",
          "nodepulse_task_runs_total{outcome=\"timeout\",target=\"tcp\"} 1.0",
          "nodepulse_task_duration_seconds_count{target=\"tcp\"} 1",
          "nodepulse_tasks{phase=\"Failed\"} 1.0",
          "nodepulse_http_requests_total{method=\"GET\",route=\"/api/v1/cpu\",status=\"200\"} 1.0",
          "nodepulse_live_clients 2.0",
          "jvm_threads_current");
    });
    bus.publish(TaskState.ADDRESS, NodepulseMetricsTest.deleted("a", "b", "Failed").toJson());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(scrape(null).getString("body")).contains("nodepulse_tasks{phase=\"Failed\"} 0.0"));
    assertThat(scrape("application/openmetrics-text").getString("contentType")).startsWith("application/openmetrics-text");
  }

  @Test
  void perTaskSeriesByDefaultAndNoneWithTaskMetricsFalse() {
    JsonObject ran = TaskHealthMetricsTest.task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED",
        "2026-12-04T17:00:00Z").toJson();
    vertx.eventBus().publish(TaskState.ADDRESS, ran);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scrape(null).getString("body")).contains(
        "nodepulse_task_last_success_timestamp_seconds{name=\"warm\",namespace=\"shop\"} 1.7964036E9"));

    Vertx off = Vertx.vertx();
    try {
      off.deployVerticle(new MetricsVerticle(Config.forTest(tmp, "--task-metrics", "false"))).await();
      off.eventBus().publish(TaskState.ADDRESS, ran);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(off.eventBus().<JsonObject>request(
          MetricsVerticle.SCRAPE, new JsonObject()).await().body().getString("body"))
          .contains("nodepulse_tasks{phase=\"Scheduled\"} 1.0")
          .doesNotContain("nodepulse_task_last_success_timestamp_seconds", "nodepulse_task_interval_seconds"));
    } finally {
      off.close().await();
    }
  }

  @Test
  void healthSaysWhenTheLastSampleCame() {
    JsonObject before = vertx.eventBus().<JsonObject>request(MetricsVerticle.HEALTH, new JsonObject()).await().body();
    assertThat(before.getString("state")).isEqualTo("up");
    assertThat(before.getBoolean("ready")).isTrue();
    assertThat(before.getValue("lastSampleAt")).isNull();
    JsonObject sample = new JsonObject(NodepulseMetricsTest.resource("/sample.json"));
    vertx.eventBus().publish(Sample.ADDRESS, sample);
    String expected = java.time.Instant.ofEpochMilli(sample.getLong("t")).toString();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        vertx.eventBus().<JsonObject>request(MetricsVerticle.HEALTH, new JsonObject()).await().body()
            .getString("lastSampleAt")).isEqualTo(expected));
  }
}

package dev.nodepulse.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Flags;
import dev.nodepulse.tasks.model.TaskJson;
import dev.nodepulse.tasks.model.TaskReader;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-task series ({@code --task-metrics}) on a private registry, fed the page's task changes. */
class TaskHealthMetricsTest {
  static final String HTTP = "{\"http\": {\"url\": \"http://127.0.0.1:9000/\"}}";

  /** A DelayedTask as {@code nodepulse.tasks.changed} carries it; {@code outcome} null: it has not run yet. */
  static JsonObject task(String name, long generation, String timing, String outcome, String finishedAt) {
    JsonObject status = new JsonObject().put("phase", "Scheduled");
    if (outcome != null) {
      status.put("lastRun", new JsonObject().put("finishedAt", finishedAt).put("outcome", outcome));
    }
    return new JsonObject()
        .put("metadata", new JsonObject().put("namespace", "shop").put("name", name).put("generation", generation))
        .put("spec", new JsonObject(timing).put("target", new JsonObject(HTTP)))
        .put("status", status);
  }

  static NodepulseMetrics exported() {
    NodepulseMetrics m = NodepulseMetrics.register(new PrometheusRegistry(), false);
    m.exportTasks();
    return m;
  }

  static List<String> taskLines(NodepulseMetrics m) {
    return m.scrape(null).body().lines().filter(l -> l.startsWith("nodepulse_task_last_")
        || l.startsWith("nodepulse_task_interval_")).sorted().toList();
  }

  @Test
  void lastSuccessLastFailureAndIntervalPerTask() {
    NodepulseMetrics m = exported();
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", null, null));
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", "FAILED", "2026-12-04T17:00:30.500Z"));
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", "FAILED", "2026-12-04T17:00:30.500Z")); // the same change again
    m.taskChanged(task("nightly", 1, "{\"schedule\": \"0 0 2 * * *\"}", "MISSED", "2026-12-04T02:10:00Z"));
    m.taskChanged(task("once", 1, "{\"delay\": \"10s\"}", "SUCCEEDED", "2026-12-04T16:00:00Z"));
    m.taskChanged(task("edited", 1, "{\"every\": \"1m\"}", "CANCELLED", "2026-12-04T16:30:00Z")); // neither

    // 2026-12-04T17:00:00Z is 1796403600 s after the epoch
    assertThat(taskLines(m)).containsExactly(
        "nodepulse_task_interval_seconds{name=\"edited\",namespace=\"shop\"} 60.0",
        "nodepulse_task_interval_seconds{name=\"nightly\",namespace=\"shop\"} 86400.0",
        "nodepulse_task_interval_seconds{name=\"warm\",namespace=\"shop\"} 30.0",
        "nodepulse_task_last_failure_timestamp_seconds{name=\"nightly\",namespace=\"shop\"} 1.7963502E9",
        "nodepulse_task_last_failure_timestamp_seconds{name=\"warm\",namespace=\"shop\"} 1.7964036305E9",
        "nodepulse_task_last_success_timestamp_seconds{name=\"once\",namespace=\"shop\"} 1.7964E9",
        "nodepulse_task_last_success_timestamp_seconds{name=\"warm\",namespace=\"shop\"} 1.7964036E9");
  }

  @Test
  void inKubernetesModeTheSeriesAreThisAgentsOwnRunsNotTheClusters() {
    NodepulseMetrics m = exported();
    JsonObject ranElsewhere = task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED", "2026-12-04T17:00:00Z");
    JsonObject status = ranElsewhere.getJsonObject("status");
    status.put("local", new JsonObject().put("node", "node-b").put("phase", "Scheduled").put("runs", 1)
        .put("lastRun", new JsonObject().put("finishedAt", "2026-12-04T16:00:00Z").put("outcome", "FAILED")));
    m.taskChanged(ranElsewhere);
    assertThat(taskLines(m)).containsExactly(
        "nodepulse_task_interval_seconds{name=\"warm\",namespace=\"shop\"} 30.0",
        "nodepulse_task_last_failure_timestamp_seconds{name=\"warm\",namespace=\"shop\"} 1.7964E9");
  }

  @Test
  void aNewGenerationGetsItsNewIntervalAndARemovedTaskLeavesNoSeries() {
    NodepulseMetrics m = exported();
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    m.taskChanged(task("warm", 2, "{\"every\": \"5m\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    assertThat(taskLines(m)).contains("nodepulse_task_interval_seconds{name=\"warm\",namespace=\"shop\"} 300.0");

    m.taskChanged(task("warm", 2, "{\"every\": \"5m\"}", "SUCCEEDED", "2026-12-04T17:05:00Z").put("deleted", true));
    assertThat(taskLines(m)).isEmpty();
  }

  @Test
  void theIntervalIsReadFromTheTaskAsTheSchedulerPublishesIt() throws Exception {
    NodepulseMetrics m = exported();
    String yaml = "metadata: {name: hourly, namespace: shop}\nspec:\n  schedule: \"0 * * * *\"\n"
        + "  timeZone: Europe/Paris\n  retry: {limit: 2, backoff: 5s}\n  target: " + HTTP + "\n";
    m.taskChanged(TaskJson.toJson(TaskReader.read(yaml, TaskReader.Format.YAML)));
    assertThat(taskLines(m)).containsExactly("nodepulse_task_interval_seconds{name=\"hourly\",namespace=\"shop\"} 3600.0");
  }

  @Test
  void withoutTheFlagThereAreNoPerTaskSeries() {
    NodepulseMetrics m = NodepulseMetrics.register(new PrometheusRegistry(), false);
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    assertThat(taskLines(m)).isEmpty();
    assertThat(m.scrape(null).body()).contains("nodepulse_tasks{phase=\"Scheduled\"} 1");
  }

  @Test
  void theFlagIsOnByDefaultAndTakesItsVariable() {
    assertThat(Flags.parse(new String[0], Map.of()).taskMetrics()).isTrue();
    assertThat(Flags.parse(new String[] {"--task-metrics", "false"}, Map.of()).taskMetrics()).isFalse();
    assertThat(Flags.parse(new String[0], Map.of("NODEPULSE_TASK_METRICS", "false")).taskMetrics()).isFalse();
    Config on = Flags.parse(new String[] {"--task-metrics", "true"}, Map.of("NODEPULSE_TASK_METRICS", "false"));
    assertThat(on.taskMetrics()).isTrue();
  }
}

package dev.nodepulse.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Flags;
import dev.nodepulse.bus.TaskState;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskStatus;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.status.BusSinks;
import dev.nodepulse.tasks.status.TaskChange;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-task series ({@code --task-metrics}) on a private registry, fed what the pipeline's metrics sink publishes. */
class TaskHealthMetricsTest {
  static final String HTTP = "{\"http\": {\"url\": \"http://127.0.0.1:9000/\"}}";

  /** At this time a cron's interval is read (the gap between its next two due times). */
  static final Instant NOW = Instant.parse("2026-12-04T17:00:00Z");

  /**
   * What the pipeline's metrics sink publishes after a change of a task (namespace shop) with this {@code timing}
   * (JSON), whose last attempt here ended with {@code outcome} at {@code finishedAt}; {@code outcome} null: it has not
   * run yet. Made from the task by the sink's own mapping ({@link BusSinks#state}).
   */
  static TaskState task(String name, long generation, String timing, String outcome, String finishedAt) {
    return change(name, generation, timing, outcome, finishedAt, false);
  }

  static TaskState change(String name, long generation, String timing, String outcome, String finishedAt,
      boolean deleted) {
    try {
      DelayedTask t = TaskReader.read(new JsonObject()
          .put("metadata", new JsonObject().put("namespace", "shop").put("name", name).put("generation", generation))
          .put("spec", new JsonObject(timing).put("target", new JsonObject(HTTP))).encode(), TaskReader.Format.JSON);
      TaskStatus.LastRun last = outcome == null ? null : new TaskStatus.LastRun(null, Instant.parse(finishedAt), 0,
          "node-a", RunResult.Outcome.valueOf(outcome), null, 0, null, null);
      TaskStatus status = new TaskStatus(TaskStatus.Phase.Scheduled, null, 0, 0, null, 0, List.of(), last, null,
          List.of(), List.of(), 0, null, 0, null);
      return BusSinks.state(new TaskChange(Origin.rest("shop", name), t.withStatus(status), deleted, false), NOW);
    } catch (TaskValidationException e) {
      throw new AssertionError(e);
    }
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
  void aNewGenerationGetsItsNewIntervalAndARemovedTaskLeavesNoSeries() {
    NodepulseMetrics m = exported();
    m.taskChanged(task("warm", 1, "{\"every\": \"30s\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    m.taskChanged(task("warm", 2, "{\"every\": \"5m\"}", "SUCCEEDED", "2026-12-04T17:00:00Z"));
    assertThat(taskLines(m)).contains("nodepulse_task_interval_seconds{name=\"warm\",namespace=\"shop\"} 300.0");

    m.taskChanged(change("warm", 2, "{\"every\": \"5m\"}", "SUCCEEDED", "2026-12-04T17:05:00Z", true));
    assertThat(taskLines(m)).isEmpty();
  }

  @Test
  void theIntervalIsReadFromTheTaskAsTheSchedulerPublishesIt() throws Exception {
    NodepulseMetrics m = exported();
    String yaml = "metadata: {name: hourly, namespace: shop}\nspec:\n  schedule: \"0 * * * *\"\n"
        + "  timeZone: Europe/Paris\n  retry: {limit: 2, backoff: 5s}\n  target: " + HTTP + "\n";
    DelayedTask hourly = TaskReader.read(yaml, TaskReader.Format.YAML);
    m.taskChanged(BusSinks.state(new TaskChange(Origin.rest("shop", "hourly"), hourly, false, false), NOW));
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

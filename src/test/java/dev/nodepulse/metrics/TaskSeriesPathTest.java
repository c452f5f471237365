package dev.nodepulse.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path of a task's figures to {@code /metrics}: the task pipeline and the metrics verticle on one bus, nothing
 * between them but what the pipeline publishes (a run, then the task's state), read through a scrape.
 */
class TaskSeriesPathTest {
  @TempDir Path tmp;
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void aRunOfATaskReachesItsSeriesThroughTheBus() throws Exception {
    HttpServer target = vertx.createHttpServer().requestHandler(req -> req.response().end("ok"))
        .listen(0, "127.0.0.1").await();
    Config config = Config.forTest(tmp);
    vertx.deployVerticle(new MetricsVerticle(config)).await();
    vertx.deployVerticle(new TasksVerticle(config)).await();
    String task = new JsonObject().put("metadata", new JsonObject().put("name", "warm").put("namespace", "shop"))
        .put("spec", new JsonObject().put("every", "1h").put("target",
            new JsonObject().put("http", new JsonObject().put("url", "http://127.0.0.1:" + target.actualPort() + "/"))))
        .encode();
    vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, "warm", 0),
        TaskReader.read(task, TaskReader.Format.JSON))).await();
    vertx.eventBus().request(TasksVerticle.RUN_NOW, new JsonObject().put("namespace", "shop").put("name", "warm")
        .put("requestId", "r1")).await();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(scrape()).contains(
        "nodepulse_task_runs_total{outcome=\"succeeded\",target=\"http\"} 1.0",
        "nodepulse_task_interval_seconds{name=\"warm\",namespace=\"shop\"} 3600.0",
        "nodepulse_task_last_success_timestamp_seconds{name=\"warm\",namespace=\"shop\"} ",
        "nodepulse_tasks{phase=\"Scheduled\"} 1.0"));
  }

  private String scrape() {
    return vertx.eventBus().<JsonObject>request(MetricsVerticle.SCRAPE, new JsonObject()).await().body()
        .getString("body");
  }
}

package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spec.history: how many runs of a task its agent keeps in tasks.db and lists. */
class HistoryTest {
  @TempDir Path tmp;
  Vertx vertx;
  SchedulerTest.FakeRunner runner;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    runner = new SchedulerTest.FakeRunner(vertx, 0, SchedulerTest::ok);
    get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp),
        Plugins.standalone(k -> null).withRunner(runner, Clock.systemUTC()))));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  void declare(String every, int history) throws Exception {
    JsonObject spec = new JsonObject().put("every", every).put("history", history)
        .put("target", new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 10))));
    String task = new JsonObject().put("metadata", new JsonObject().put("name", "h").put("namespace", "t"))
        .put("spec", spec).encode();
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, "f:h", 0),
        TaskReader.read(task, TaskReader.Format.JSON))));
  }

  int listed() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUNS,
        new JsonObject().put("namespace", "t").put("name", "h"))).body().getJsonArray("items").size();
  }

  @Test
  void historyThreeKeepsExactlyThreeRuns() throws Exception {
    declare("1s", 3);
    await().atMost(Duration.ofSeconds(60)).until(() -> runner.starts.size() >= 5);
    assertThat(listed()).isEqualTo(3);
    // a larger history now (and no run for an hour): the store kept 3, not more that were only hidden
    declare("1h", 10);
    assertThat(listed()).isEqualTo(3);
  }
}

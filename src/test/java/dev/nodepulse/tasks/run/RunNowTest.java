package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run now in the pipeline ({@link RunNow}), on a fixed clock: the extra run waits for a run in flight (runs of one
 * task never overlap), runs while the task is suspended, runs a finished one-shot again, and leaves the schedule as
 * it was.
 */
class RunNowTest {
  static final Instant NOW = Instant.parse("2026-12-04T20:00:00Z");
  static final String COMPUTE = "\"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}";
  @TempDir Path tmp;
  Vertx vertx;
  /** Each run's answer, completed by the test. */
  final List<Promise<RunResult>> runs = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    Runner runner = (target, headers, progress) -> {
      Promise<RunResult> p = Promise.promise();
      runs.add(p);
      return new Execution() {
        @Override
        public Future<RunResult> result() {
          return p.future();
        }

        @Override
        public void cancel() {
          p.tryComplete(RunResult.failure(RunResult.Outcome.CANCELLED, "cancelled"));
        }
      };
    };
    get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp),
        Plugins.standalone(k -> null).withRunner(runner, Clock.fixed(NOW, ZoneOffset.UTC)))));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  void declare(String name, String specJson) throws Exception {
    declare(new Origin(Origin.Kind.FILE, "f:" + name, 0), name, specJson);
  }

  void declare(Origin origin, String name, String specJson) throws Exception {
    String task = new JsonObject().put("metadata", new JsonObject().put("name", name).put("namespace", "t"))
        .put("spec", new JsonObject(specJson)).encode();
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(origin,
        TaskReader.read(task, TaskReader.Format.JSON))));
  }

  JsonObject runNow(String name, String id) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUN_NOW,
        new JsonObject().put("namespace", "t").put("name", name).put("requestId", id))).body();
  }

  JsonObject status(String name) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET,
        new JsonObject().put("namespace", "t").put("name", name))).body().getJsonObject("status");
  }

  static final RunResult OK = RunResult.success(200, 2, "ok");

  @Test
  void anExtraRunWaitsForTheRunInFlightAndTheSameIdIsTakenOnce() throws Exception {
    declare("due", "{\"at\": \"2026-12-04T19:59:00Z\", " + COMPUTE + "}"); // due: runs at once
    await().atMost(Duration.ofSeconds(30)).until(() -> runs.size() == 1);
    assertThat(runNow("due", "r1").getBoolean("accepted")).isTrue();
    assertThat(runNow("due", "r1").getBoolean("accepted")).isFalse();
    assertThat(runs).as("no overlap: the extra run waits").hasSize(1);
    runs.get(0).complete(OK);
    await().atMost(Duration.ofSeconds(30)).until(() -> runs.size() == 2);
    runs.get(1).complete(RunResult.failure(RunResult.Outcome.FAILED, "down"));
    await().atMost(Duration.ofSeconds(30)).until(() -> status("due").getLong("runs") == 2);
    JsonObject s = status("due");
    assertThat(s.getString("phase")).as("a finished one-shot shows the outcome of its latest run").isEqualTo("Failed");
    assertThat(runs).hasSize(2);
  }

  @Test
  void aSuspendedTaskRunsOnRequestAndStaysSuspendedWithItsSchedule() throws Exception {
    declare("hourly", "{\"every\": \"1h\", \"suspend\": true, " + COMPUTE + "}");
    String next = status("hourly").getString("nextRunAt");
    assertThat(next).isEqualTo("2026-12-04T21:00:00Z");
    runNow("hourly", "r1");
    await().atMost(Duration.ofSeconds(30)).until(() -> runs.size() == 1);
    runs.get(0).complete(OK);
    await().atMost(Duration.ofSeconds(30)).until(() -> status("hourly").getLong("runs") == 1);
    JsonObject s = status("hourly");
    assertThat(s.getString("phase")).isEqualTo("Scheduled");
    assertThat(s.getString("nextRunAt")).as("the schedule goes on from where it was").isEqualTo(next);
    assertThat(s.getJsonObject("lastRun").getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(s.getJsonArray("conditions").stream().map(c -> ((JsonObject) c).getString("type")))
        .contains("Suspended");
  }

  @Test
  void aDelayedTaskRunsNowFromItsAnnotationOnlyAndRestIsToldTheKubectlCommand() throws Exception {
    declare(new Origin(Origin.Kind.CRD, "uid-1", 1), "crd", "{\"every\": \"1h\", " + COMPUTE + "}");
    assertThatThrownBy(() -> runNow("crd", "r1")).cause().isInstanceOfSatisfying(ReplyException.class, ex -> {
      assertThat(ex.failureCode()).isEqualTo(409);
      assertThat(ex.getMessage()).contains("kubectl annotate delayedtask crd -n t nodepulse.dev/run-now=$(date +%s) "
          + "--overwrite");
    });
    assertThat(runs).isEmpty();
    JsonObject fromAnnotation = new JsonObject().put("namespace", "t").put("name", "crd").put("requestId", "r1")
        .put("fromAnnotation", true);
    assertThat(get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUN_NOW, fromAnnotation)).body()
        .getBoolean("accepted")).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> runs.size() == 1);
    assertThat(get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUN_NOW, fromAnnotation)).body()
        .getBoolean("accepted")).isFalse(); // the same request id again
  }

  @Test
  void aConfigMapTaskIsRefused() throws Exception {
    declare(new Origin(Origin.Kind.CONFIGMAP, "t/cm:x", 1), "cm.x", "{\"every\": \"1h\", " + COMPUTE + "}");
    assertThatThrownBy(() -> runNow("cm.x", "r1")).cause().isInstanceOfSatisfying(ReplyException.class, ex -> {
      assertThat(ex.failureCode()).isEqualTo(409);
      assertThat(ex.getMessage()).contains("is declared in the cluster");
    });
    assertThat(runs).isEmpty();
  }
}

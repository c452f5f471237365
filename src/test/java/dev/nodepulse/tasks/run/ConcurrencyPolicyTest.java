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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spec.concurrencyPolicy on the pipeline: a task due every second whose runs last until cancelled, so each due time
 * after the first comes while a run is going.
 */
class ConcurrencyPolicyTest {
  @TempDir Path tmp;
  Vertx vertx;
  SchedulerTest.FakeRunner runner;
  final List<JsonObject> runEvents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(TasksVerticle.RUN, m -> runEvents.add(m.body()));
    runner = new SchedulerTest.FakeRunner(vertx, -1, SchedulerTest::ok); // runs last until cancelled
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

  void declare(String policy) throws Exception {
    JsonObject spec = new JsonObject().put("every", "1s")
        .put("target", new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 10))));
    if (policy != null) {
      spec.put("concurrencyPolicy", policy);
    }
    String task = new JsonObject().put("metadata", new JsonObject().put("name", "slow").put("namespace", "t"))
        .put("spec", spec).encode();
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, "f:slow", 0),
        TaskReader.read(task, TaskReader.Format.JSON))));
  }

  @Test
  void forbidByDefaultSkipsDueTimesWhileARunIsGoing() throws Exception {
    declare(null);
    await().atMost(Duration.ofSeconds(30)).until(() -> runner.starts.size() == 1);
    // three due times pass while the first run goes on: none of them starts a run
    await().during(Duration.ofMillis(3000)).atMost(Duration.ofSeconds(30)).until(() -> runner.starts.size() == 1);
    assertThat(runner.cancels.get()).isZero();
  }

  @Test
  void allowRunsTheNextDueTimeBesideTheRunningOne() throws Exception {
    declare("Allow");
    await().atMost(Duration.ofSeconds(30)).until(() -> runner.inFlight.get() >= 2);
    assertThat(runner.cancels.get()).isZero();
    assertThat(runEvents).isEmpty(); // none ended: they overlap
  }

  @Test
  void replaceCancelsTheRunningAttemptAndRunsTheNextDueTime() throws Exception {
    declare("Replace");
    await().atMost(Duration.ofSeconds(30)).until(() -> runner.starts.size() >= 2);
    assertThat(runner.cancels.get()).isGreaterThanOrEqualTo(1);
    assertThat(runner.maxInFlight.get()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(30)).until(() -> !runEvents.isEmpty());
    assertThat(runEvents.get(0).getString("outcome")).isEqualTo("cancelled");
  }
}

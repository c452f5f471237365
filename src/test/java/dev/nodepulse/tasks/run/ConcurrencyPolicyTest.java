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

  /**
   * Forbid: the due times that came while a run went on are accounted for as skipped on purpose when it ends (status
   * skipped and lastSkipped, a "skipped" run event for the metric), not MISSED and not lost.
   */
  @Test
  void forbidCountsTheDueTimesThatCameDuringARunAsSkipped() throws Exception {
    Vertx own = Vertx.vertx();
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    try {
      own.eventBus().<JsonObject>consumer(TasksVerticle.RUN, m -> events.add(m.body()));
      SchedulerTest.FakeRunner slow = new SchedulerTest.FakeRunner(own, 2500, SchedulerTest::ok); // 2.5 s a run
      get(own.deployVerticle(new TasksVerticle(Config.forTest(tmp.resolve("own")),
          Plugins.standalone(k -> null).withRunner(slow, Clock.systemUTC()))));
      String task = new JsonObject().put("metadata", new JsonObject().put("name", "overrun").put("namespace", "t"))
          .put("spec", new JsonObject().put("every", "1s").put("target", new JsonObject().put("compute",
              new JsonObject().put("pi", new JsonObject().put("digits", 10))))).encode();
      get(own.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, "f:overrun", 0),
          TaskReader.read(task, TaskReader.Format.JSON))));
      await().atMost(Duration.ofSeconds(60)).until(() -> status(own, "overrun").getLong("runs") >= 2);
      JsonObject s = status(own, "overrun");
      assertThat(s.getLong("missed", 0L)).isZero();
      assertThat(s.getLong("skipped", 0L)).as("at least the two due times in each 2.5 s run").isGreaterThanOrEqualTo(2);
      JsonObject last = s.getJsonObject("lastSkipped");
      assertThat(last.getString("reason")).contains("concurrencyPolicy: Forbid");
      assertThat(Duration.between(java.time.Instant.parse(last.getString("from")),
          java.time.Instant.parse(last.getString("to")))).isEqualTo(Duration.ofSeconds(last.getLong("count") - 1));
      assertThat(events.stream().filter(e -> "skipped".equals(e.getString("outcome")))
          .mapToLong(e -> e.getLong("count")).sum()).as("the metric's events count them all")
          .isEqualTo(s.getLong("skipped"));
    } finally {
      get(own.close());
    }
  }

  static JsonObject status(Vertx v, String name) throws Exception {
    return get(v.eventBus().<JsonObject>request(TasksVerticle.GET, new JsonObject().put("namespace", "t")
        .put("name", name))).body().getJsonObject("status");
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

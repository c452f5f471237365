package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spec.suspend}: no new run starts while it is true; a recurring task's due times that pass meanwhile are
 * skipped (the first run after resuming is due after the resume), a one-shot waits and runs when resumed; pausing
 * and resuming keep the task (same generation, same schedule).
 */
class SuspendTest {
  @TempDir Path tmp;
  Vertx vertx;
  final List<Instant> started = new CopyOnWriteArrayList<>();

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    Runner runner = (target, headers, progress) -> {
      started.add(Instant.now());
      Promise<RunResult> p = Promise.promise();
      p.complete(RunResult.success(null, 1, "ok"));
      return new Execution() {
        @Override
        public Future<RunResult> result() {
          return p.future();
        }

        @Override
        public void cancel() {}
      };
    };
    get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp),
        Plugins.standalone(k -> null).withRunner(runner, Clock.systemUTC()))));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  void declare(String timing, boolean suspend) throws Exception {
    String y = "metadata: {name: paused, namespace: c}\nspec: {" + timing + ", suspend: " + suspend
        + ", target: {compute: {pi: {digits: 10}}}}\n";
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, "paused", 0),
        TaskReader.read(y, TaskReader.Format.YAML))));
  }

  JsonObject task() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET, new JsonObject().put("namespace", "c")
        .put("name", "paused"))).body();
  }

  JsonArray runs() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUNS, new JsonObject().put("namespace", "c")
        .put("name", "paused"))).body().getJsonArray("items");
  }

  @Test
  void aSuspendedRecurringTaskSkipsWhatPassesAndResumesAtItsNextDueTime() throws Exception {
    declare("every: 1s", false);
    await().atMost(Duration.ofSeconds(20)).until(() -> started.size() >= 1);
    long generation = task().getJsonObject("metadata").getLong("generation");
    declare("every: 1s", true);
    int before = started.size();
    // no new run while suspended: three due times pass (a run under way may still finish)
    await().during(Duration.ofMillis(3500)).atMost(Duration.ofSeconds(10)).until(() -> started.size() <= before + 1);
    int whileSuspended = started.size();
    assertThat(task().getJsonObject("spec").getBoolean("suspend")).isTrue();
    assertThat(task().getJsonObject("metadata").getLong("generation")).as("the same task").isEqualTo(generation);

    Instant resumed = Instant.now();
    declare("every: 1s", false);
    await().atMost(Duration.ofSeconds(20)).until(() -> started.size() > whileSuspended);
    Instant firstDue = Instant.parse(runs().getJsonObject(0).getString("dueAt"));
    assertThat(firstDue).as("the due times that passed while suspended are skipped, not run late")
        .isAfterOrEqualTo(resumed.minusMillis(1000));
    assertThat(task().getJsonObject("metadata").getLong("generation")).isEqualTo(generation);
  }

  @Test
  void aSuspendedOneShotWaitsAndRunsWhenResumed() throws Exception {
    declare("delay: 1s", true);
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10)).until(started::isEmpty);
    assertThat(task().getJsonObject("status").getString("phase")).isNotIn("Succeeded", "Failed");
    declare("delay: 1s", false);
    await().atMost(Duration.ofSeconds(20)).until(() -> started.size() == 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> "Succeeded".equals(task().getJsonObject("status")
        .getString("phase")));
  }
}

package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spec.suspend} (docs/tasks.md, "Pause and resume"): no new runs while suspended, due times skipped on purpose
 * and counted, a run in flight left alone, the state kept (suspend is not part of the spec's hash), and on resume the
 * next due time after now runs; a one-shot waits and runs when resumed.
 */
class SuspendTest {
  static final String COMPUTE = "\"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}";
  @TempDir Path tmp;
  Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  void deploy(SchedulerTest.FakeRunner runner, Clock clock) throws Exception {
    get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp),
        Plugins.standalone(k -> null).withRunner(runner, clock))));
  }

  /** A REST declaration (PUT/POST) of {@code t/name} with this spec. */
  JsonObject put(String name, String specJson) throws Exception {
    String task = new JsonObject().put("metadata", new JsonObject().put("name", name).put("namespace", "t"))
        .put("spec", new JsonObject(specJson)).encode();
    Declaration d = Declaration.of(new Origin(Origin.Kind.REST, "rest:t/" + name, 0),
        TaskReader.read(task, TaskReader.Format.JSON));
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.DECLARE, d)).body();
  }

  JsonObject status(String name) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET,
        new JsonObject().put("namespace", "t").put("name", name))).body().getJsonObject("status");
  }

  /** The message of the task's Suspended condition, or null. */
  String suspended(String name) throws Exception {
    var conditions = status(name).getJsonArray("conditions");
    for (int i = 0; conditions != null && i < conditions.size(); i++) {
      JsonObject c = conditions.getJsonObject(i);
      if ("Suspended".equals(c.getString("type"))) {
        return c.getString("message");
      }
    }
    return null;
  }

  @Test
  void whileSuspendedDueTimesAreSkippedAndOnResumeTheNextDueTimeRuns() throws Exception {
    SchedulerTest.FakeRunner r = new SchedulerTest.FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r, Clock.systemUTC());
    put("tick", "{\"every\": \"1s\", \"suspend\": true, " + COMPUTE + "}");
    // the evidence that due times passed is the count of those skipped, not a wait of so many milliseconds
    await().atMost(Duration.ofSeconds(30)).until(() -> suspended("tick"), m -> m != null && m.matches(
        "spec.suspend is true: no new runs; [2-9]\\d* due times skipped on purpose since .*"));
    assertThat(r.starts).as("nothing ran while suspended").isEmpty();
    JsonObject before = status("tick");
    assertThat(before.getLong("runs")).isZero();
    assertThat(before.getString("phase")).isEqualTo("Scheduled");
    assertThat(before.getJsonObject("lastRun")).as("a skipped due time is not a run (not MISSED)").isNull();

    Instant resumed = Instant.now();
    JsonObject reply = put("tick", "{\"every\": \"1s\", " + COMPUTE + "}");
    assertThat(reply.getBoolean("created")).isFalse();
    assertThat(suspended("tick")).isNull();
    await().atMost(Duration.ofSeconds(30)).until(() -> r.starts.size() >= 1);
    assertThat(r.starts.get(0)).as("the first run is a due time after the resume").isAfter(resumed);
    assertThat(before.getLong("observedGeneration")).isEqualTo(1);
    assertThat(status("tick").getLong("observedGeneration")).as("suspend and resume keep the schedule").isEqualTo(1);
  }

  @Test
  void aOneShotDueWhileSuspendedWaitsAndRunsWhenResumed() throws Exception {
    Instant now = Instant.parse("2026-12-04T20:00:00Z");
    SchedulerTest.FakeRunner r = new SchedulerTest.FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r, Clock.fixed(now, ZoneOffset.UTC));
    put("once", "{\"at\": \"2026-12-04T19:59:00Z\", \"suspend\": true, " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> suspended("once"), m -> m != null && m.equals(
        "spec.suspend is true: the run due at 2026-12-04T19:59:00Z waits; it runs when spec.suspend is false"));
    assertThat(r.starts).isEmpty();
    assertThat(status("once").getString("phase")).isEqualTo("Scheduled");

    put("once", "{\"at\": \"2026-12-04T19:59:00Z\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("once").getString("phase")));
    assertThat(r.starts).hasSize(1);
    assertThat(status("once").getLong("runs")).isEqualTo(1);
  }

  @Test
  void suspendingKeepsTheStateAndLetsTheRunInFlightFinish() throws Exception {
    Instant now = Instant.parse("2026-12-04T20:00:00Z");
    SchedulerTest.FakeRunner r = new SchedulerTest.FakeRunner(vertx, -1, SchedulerTest::ok); // runs until cancelled
    deploy(r, Clock.fixed(now, ZoneOffset.UTC));
    put("long", "{\"at\": \"2026-12-04T19:59:00Z\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Running".equals(status("long").getString("phase")));
    put("long", "{\"at\": \"2026-12-04T19:59:00Z\", \"suspend\": true, " + COMPUTE + "}");
    JsonObject s = status("long");
    assertThat(s.getString("phase")).as("the run in flight goes on").isEqualTo("Running");
    assertThat(r.cancels).hasValue(0);
    assertThat(s.getLong("attempts")).isEqualTo(1);
    assertThat(suspended("long")).startsWith("spec.suspend is true");

    put("hourly", "{\"every\": \"1h\", " + COMPUTE + "}");
    String next = status("hourly").getString("nextRunAt");
    put("hourly", "{\"every\": \"1h\", \"suspend\": true, " + COMPUTE + "}");
    assertThat(status("hourly").getString("nextRunAt")).as("the same schedule, not a new one").isEqualTo(next);
    assertThat(status("hourly").getLong("observedGeneration")).isEqualTo(1);
  }

  @Test
  void suspendIsABoolean() {
    String y = "metadata: {name: x}\nspec: {every: 1h, suspend: \"yes\", target: {compute: {pi: {digits: 10}}}}\n";
    assertThatThrownBy(() -> TaskReader.read(y, TaskReader.Format.YAML))
        .isInstanceOf(TaskValidationException.class).hasMessageContaining("spec.suspend");
  }
}

package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task pipeline (TasksVerticle, Scheduler and the status store) with a stand-in runner (the targets are tested by their own concern), real timers and SQLite. */
class SchedulerTest {
  @TempDir Path tmp;
  Vertx vertx;
  String deployment;
  final List<JsonObject> runEvents = new CopyOnWriteArrayList<>();
  final List<JsonObject> changes = new CopyOnWriteArrayList<>();

  /** A runner that records calls and answers through a function of the call number. */
  static final class FakeRunner implements Runner {
    final List<Instant> starts = new CopyOnWriteArrayList<>();
    final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger cancels = new AtomicInteger();
    final Vertx vertx;
    final Function<Integer, RunResult> answer;
    final long takesMs; // < 0: never completes until cancelled

    FakeRunner(Vertx vertx, long takesMs, Function<Integer, RunResult> answer) {
      this.vertx = vertx;
      this.takesMs = takesMs;
      this.answer = answer;
    }

    @Override
    public Execution start(Target target, Map<String, String> h, Consumer<Progress> onProgress) {
      int n = starts.size();
      starts.add(Instant.now());
      headers.add(h);
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      Promise<RunResult> p = Promise.promise();
      if (takesMs >= 0) {
        vertx.setTimer(Math.max(1, takesMs), id -> {
          inFlight.decrementAndGet();
          p.tryComplete(answer.apply(n));
        });
      }
      return new Execution() {
        @Override
        public Future<RunResult> result() {
          return p.future();
        }

        @Override
        public void cancel() {
          cancels.incrementAndGet();
          if (p.tryComplete(RunResult.failure(RunResult.Outcome.CANCELLED, "cancelled"))) {
            inFlight.decrementAndGet();
          }
        }
      };
    }
  }

  static RunResult ok(int n) {
    return RunResult.success(200, 2, "ok");
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(TasksVerticle.RUN, m -> runEvents.add(m.body()));
    vertx.eventBus().<JsonObject>consumer(TasksVerticle.CHANGED, m -> changes.add(m.body()));
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  void deploy(Runner runner, Clock clock, Function<String, String> env, String... flags) throws Exception {
    Config config = Config.forTest(tmp, flags);
    deployment = get(vertx.deployVerticle(new TasksVerticle(config, Plugins.standalone(env).withRunner(runner, clock))));
  }

  void deploy(Runner runner, String... flags) throws Exception {
    deploy(runner, Clock.systemUTC(), k -> null, flags);
  }

  void restart(Runner runner, Clock clock) throws Exception {
    get(vertx.undeploy(deployment));
    deploy(runner, clock, k -> null);
  }

  JsonObject upsert(String source, String name, String specJson) throws Exception {
    return upsert(source, name, name, specJson);
  }

  /** A declaration from {@code source}: "rest" is a REST post, any other a file named {@code source:key}. */
  static Origin origin(String source, String key) {
    return source.equals("rest") ? new Origin(Origin.Kind.REST, "rest:" + key, 0)
        : new Origin(Origin.Kind.FILE, source + ":" + key, 0);
  }

  JsonObject upsert(String source, String key, String name, String specJson) throws Exception {
    String task = new JsonObject().put("metadata", new JsonObject().put("name", name).put("namespace", "t"))
        .put("spec", new JsonObject(specJson)).encode();
    Declaration d = Declaration.of(origin(source, key), TaskReader.read(task, TaskReader.Format.JSON));
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.DECLARE, d)).body();
  }

  void withdraw(String source, String key) throws Exception {
    get(vertx.eventBus().request(TasksVerticle.WITHDRAW,
        new dev.nodepulse.tasks.model.Withdrawal(origin(source, key), "t/" + key.replaceFirst("^t/", ""))));
  }

  JsonObject upsert(String name, String specJson) throws Exception {
    return upsert("test", name, specJson);
  }

  JsonObject status(String name) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET,
        new JsonObject().put("namespace", "t").put("name", name))).body().getJsonObject("status");
  }

  static final String COMPUTE = "\"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}";

  @Test
  void delayFiresOnceAfterTheDelay() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    Instant posted = Instant.now();
    JsonObject reply = upsert("once", "{\"delay\": \"300ms\", " + COMPUTE + "}");
    assertThat(reply.getBoolean("created")).isTrue();
    assertThat(reply.getJsonObject("task").getJsonObject("status").getString("phase")).isEqualTo("Scheduled");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("once").getString("phase")));
    double seenWithin = Duration.between(posted, Instant.now()).toMillis() / 1000.0;
    assertThat(Duration.between(posted, r.starts.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(290));
    await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(10)).until(() -> r.starts.size() == 1);
    JsonObject s = status("once");
    assertThat(s.getLong("runs")).isEqualTo(1);
    assertThat(s.getLong("attempts")).isEqualTo(1);
    assertThat(s.getJsonObject("lastRun").getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(s.getJsonObject("lastRun").getString("node")).isNotBlank();
    assertThat(s.containsKey("nextRunAt")).isFalse();
    assertThat(changes).extracting(c -> c.getJsonObject("status").getString("phase"))
        .containsSubsequence("Scheduled", "Running", "Succeeded");
    assertThat(runEvents).hasSize(1);
    JsonObject ev = runEvents.get(0);
    assertThat(ev.fieldNames()).containsExactlyInAnyOrder("namespace", "name", "target", "outcome",
        "durationSeconds", "latenessSeconds");
    assertThat(ev.getString("outcome")).isEqualTo("succeeded");
    assertThat(ev.getString("target")).isEqualTo("compute");
    assertThat(ev.getDouble("latenessSeconds")).isBetween(0.0, seenWithin); // however busy the machine
  }

  @Test
  void everyFiresRepeatedly() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    upsert("tick", "{\"every\": \"1s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> r.starts.size() >= 3);
    JsonObject s = status("tick");
    assertThat(s.getLong("runs")).isGreaterThanOrEqualTo(3);
    assertThat(s.getString("phase")).isIn("Scheduled", "Running");
    // one due time a second (how late each run started depends on the machine, not on the schedule)
    await().atMost(Duration.ofSeconds(30)).until(() -> dueTimes("tick").size() >= 3);
    List<Instant> due = dueTimes("tick");
    for (int i = 1; i < due.size(); i++) {
      assertThat(Duration.between(due.get(i - 1), due.get(i))).isEqualTo(Duration.ofSeconds(1));
    }
  }

  @Test
  void cronWithSecondsFires() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    upsert("cron", "{\"schedule\": \"*/1 * * * * *\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> r.starts.size() >= 2);
    // due on whole seconds; lateness is measured from those due times, never before them
    await().atMost(Duration.ofSeconds(30)).until(() -> dueTimes("cron").size() >= 2);
    List<Instant> due = dueTimes("cron");
    assertThat(due).hasSizeGreaterThanOrEqualTo(2).allSatisfy(d -> assertThat(d.getNano()).isZero());
    assertThat(runEvents).allSatisfy(e -> assertThat(e.getDouble("latenessSeconds")).isNotNegative());
    AtomicReference<String> next = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> { // absent while a run is in flight
      next.set(status("cron").getString("nextRunAt"));
      return next.get() != null;
    });
    assertThat(Instant.parse(next.get()).getNano()).isZero();
  }

  /** The due times of a task's recorded runs, oldest first. */
  List<Instant> dueTimes(String name) throws Exception {
    JsonArray items = get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUNS,
        new JsonObject().put("namespace", "t").put("name", name))).body().getJsonArray("items");
    List<Instant> due = new ArrayList<>();
    for (int i = items.size() - 1; i >= 0; i--) {
      due.add(Instant.parse(items.getJsonObject(i).getString("dueAt")));
    }
    return due;
  }

  @Test
  void atInThePastRunsLateWithinTheDeadlineAndIsMissedOutsideIt() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    String twoSecondsAgo = Instant.now().minusSeconds(2).toString();
    String twoMinutesAgo = Instant.now().minusSeconds(120).toString();
    upsert("late", "{\"at\": \"" + twoSecondsAgo + "\", \"startingDeadline\": \"1m\", " + COMPUTE + "}");
    upsert("missed", "{\"at\": \"" + twoMinutesAgo + "\", \"startingDeadline\": \"30s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("late").getString("phase"))
        && "Failed".equals(status("missed").getString("phase")));
    assertThat(r.starts).hasSize(1);
    JsonObject missed = status("missed").getJsonObject("lastRun");
    assertThat(missed.getString("outcome")).isEqualTo("MISSED");
    assertThat(missed.getString("error")).contains("startingDeadline of 30s");
    assertThat(runEvents).anySatisfy(e -> {
      assertThat(e.getString("name")).isEqualTo("late");
      assertThat(e.getDouble("latenessSeconds")).isBetween(1.9, 10.0);
    });
    assertThat(runEvents).anySatisfy(e -> assertThat(e.getString("outcome")).isEqualTo("missed"));
  }

  @Test
  void failedAttemptsAreRetriedWithDoublingBackoff() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, n -> n < 2
        ? RunResult.failure(RunResult.Outcome.FAILED, "HTTP 503") : ok(n));
    deploy(r);
    upsert("retry", "{\"delay\": \"0s\", \"retry\": {\"limit\": 3, \"backoff\": \"200ms\"}, " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("retry").getString("phase")));
    assertThat(r.starts).hasSize(3);
    assertThat(Duration.between(r.starts.get(0), r.starts.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(195));
    assertThat(Duration.between(r.starts.get(1), r.starts.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(395));
    JsonObject s = status("retry");
    assertThat(s.getLong("runs")).isEqualTo(1);
    assertThat(s.getLong("attempts")).isEqualTo(3);
    assertThat(runEvents).extracting(e -> e.getString("outcome")).containsExactly("failed", "failed", "succeeded");
  }

  @Test
  void retriesStopAtTheLimitAndDeniedIsNotRetried() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, n -> RunResult.failure(RunResult.Outcome.FAILED, "down"));
    FakeRunner denied = new FakeRunner(vertx, 0, n -> RunResult.failure(RunResult.Outcome.DENIED, "policy"));
    deploy((t, h, p) -> t instanceof Target.Compute ? r.start(t, h, p) : denied.start(t, h, p));
    upsert("fails", "{\"delay\": \"0s\", \"retry\": {\"limit\": 2, \"backoff\": \"50ms\"}, " + COMPUTE + "}");
    upsert("denied", "{\"delay\": \"0s\", \"retry\": {\"limit\": 2, \"backoff\": \"50ms\"}, "
        + "\"target\": {\"tcp\": {\"address\": \"127.0.0.1:9\"}}}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(status("fails").getString("phase"))
        && "Failed".equals(status("denied").getString("phase")));
    assertThat(r.starts).hasSize(3);
    assertThat(denied.starts).hasSize(1);
    assertThat(status("fails").getLong("attempts")).isEqualTo(3);
  }

  @Test
  void anAttemptThatOutlivesItsTimeoutIsCancelled() throws Exception {
    FakeRunner r = new FakeRunner(vertx, -1, SchedulerTest::ok);
    deploy(r);
    upsert("slow", "{\"delay\": \"0s\", \"target\": {\"http\": {\"url\": \"http://127.0.0.1:1/\", \"timeout\": \"300ms\"}}}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(status("slow").getString("phase")));
    assertThat(r.cancels.get()).isEqualTo(1);
    JsonObject last = status("slow").getJsonObject("lastRun");
    assertThat(last.getString("outcome")).isEqualTo("TIMEOUT");
    assertThat(last.getLong("durationMs")).isBetween(300L, 3000L);
    assertThat(runEvents).extracting(e -> e.getString("outcome")).containsExactly("timeout");
  }

  @Test
  void concurrencyPerTargetTypeIsBoundedAndQueuedRunsAreLate() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 300, SchedulerTest::ok);
    deploy(r, Clock.systemUTC(), k -> null, "--max-concurrent-runs", "2");
    for (int i = 0; i < 6; i++) {
      upsert("c" + i, "{\"delay\": \"0s\", " + COMPUTE + "}");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> runEvents.size() == 6);
    assertThat(r.maxInFlight.get()).isEqualTo(2);
    // the last pair waited for two rounds of 300 ms
    assertThat(runEvents.stream().mapToDouble(e -> e.getDouble("latenessSeconds")).max().orElseThrow())
        .isGreaterThanOrEqualTo(0.55);
  }

  @Test
  void headersFromTheEnvironmentAndSecretsInStandaloneMode() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r, Clock.systemUTC(), k -> k.equals("SHOP_TOKEN") ? "s3cret" : null);
    String http = "{\"delay\": \"0s\", \"target\": {\"http\": {\"url\": \"http://127.0.0.1:1/\", \"headers\": %s}}}";
    upsert("env", http.formatted("{\"X-Plain\": \"1\", \"X-Token\": {\"valueFrom\": {\"env\": \"SHOP_TOKEN\"}}}"));
    upsert("noenv", http.formatted("{\"X-Token\": {\"valueFrom\": {\"env\": \"NOT_SET\"}}}"));
    upsert("secret", http.formatted("{\"Authorization\": {\"valueFrom\": {\"secretKeyRef\": {\"name\": \"s\", \"key\": \"k\"}}}}"));
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("env").getString("phase"))
        && "Failed".equals(status("noenv").getString("phase")) && "Failed".equals(status("secret").getString("phase")));
    assertThat(r.headers).singleElement().satisfies(h -> assertThat(h).containsEntry("X-Plain", "1")
        .containsEntry("X-Token", "s3cret").containsKey("Idempotency-Key").hasSize(3));
    assertThat(status("noenv").getJsonObject("lastRun").getString("error"))
        .contains("X-Token").contains("NOT_SET");
    assertThat(status("secret").getJsonObject("lastRun").getString("error"))
        .contains("secretKeyRef").contains("needs --mode kubernetes");
  }

  @Test
  void theIdempotencyKeyNamesTheTaskAndItsDueTimeAndTheNodeWhenEveryNodeRunsIt() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r, "--node-name", "node-a");
    String http = "{\"at\": \"%s\", %s\"target\": {\"http\": {\"url\": \"http://127.0.0.1:1/\"}}}";
    Instant at = Instant.now().plusMillis(300).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    upsert("one", http.formatted(at, ""));
    await().atMost(Duration.ofSeconds(10)).until(() -> r.headers.size() == 1);
    upsert("all", http.formatted(at, "\"nodes\": \"all\", "));
    await().atMost(Duration.ofSeconds(10)).until(() -> r.headers.size() == 2);
    String task = new JsonObject().put("metadata", new JsonObject().put("name", "crd").put("namespace", "t"))
        .put("spec", new JsonObject(http.formatted(at, ""))).encode(); // as the cluster declares a DelayedTask
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(
        new Origin(Origin.Kind.CRD, "0d5c2a4e-uid", 1), TaskReader.read(task, TaskReader.Format.JSON))));
    await().atMost(Duration.ofSeconds(10)).until(() -> r.headers.size() == 3);

    assertThat(r.headers).extracting(h -> h.get("Idempotency-Key"))
        .containsExactly("t/one/" + at, "t/all/" + at + "/node-a", "0d5c2a4e-uid/" + at);
  }

  @Test
  void listGetConflictsAndRemove() throws Exception {
    deploy(new FakeRunner(vertx, 0, SchedulerTest::ok));
    upsert("a", "{\"delay\": \"1h\", " + COMPUTE + "}");
    JsonObject again = upsert("a", "{\"delay\": \"1h\", " + COMPUTE + "}");
    assertThat(again.getBoolean("created")).isFalse();
    assertThat(again.getJsonObject("task").getJsonObject("metadata").getLong("generation")).isEqualTo(1);
    JsonObject edited = upsert("a", "{\"delay\": \"2h\", " + COMPUTE + "}");
    assertThat(edited.getJsonObject("task").getJsonObject("metadata").getLong("generation")).isEqualTo(2);
    Throwable conflict = get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(origin("other", "x"),
        TaskReader.read("{\"metadata\": {\"name\": \"a\", \"namespace\": \"t\"}, \"spec\": {\"delay\": \"1h\", "
            + COMPUTE + "}}", TaskReader.Format.JSON)))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(((ReplyException) conflict).failureCode()).isEqualTo(409);
    // the error names both declarations; the first keeps the task
    assertThat(new JsonObject(conflict.getMessage()).getString("error"))
        .contains("task t/a is already declared by file test:a").contains("file other:x").contains("refused");
    JsonObject list = get(vertx.eventBus().<JsonObject>request(TasksVerticle.LIST, new JsonObject())).body();
    assertThat(list.getJsonArray("items")).hasSize(1);
    withdraw("test", "a");
    assertThat(changes.get(changes.size() - 1).getBoolean("deleted")).isTrue();
    Throwable gone = get(vertx.eventBus().request(TasksVerticle.GET,
        new JsonObject().put("namespace", "t").put("name", "a")).transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(((ReplyException) gone).failureCode()).isEqualTo(404);
    assertThat(new JsonObject(gone.getMessage()).getString("error")).isEqualTo("task t/a not found");
  }

  @Test
  void anInvalidTaskFromASourceIsAFailedTaskNamingTheError() throws Exception {
    deploy(new FakeRunner(vertx, 0, SchedulerTest::ok));
    JsonObject reply = get(vertx.eventBus().<JsonObject>request(TasksVerticle.DECLARE, Declaration.invalid(
        origin("dir", "bad.yaml"), "default", "bad", "file bad.yaml: spec.delay: '5x' is not a duration"))).body();
    JsonObject status = reply.getJsonObject("task").getJsonObject("status");
    assertThat(status.getString("phase")).isEqualTo("Failed");
    assertThat(status.getJsonArray("conditions").getJsonObject(0).getString("message"))
        .contains("bad.yaml").contains("spec.delay");
  }

  // ------------------------------------------------------------------ restarts (same data dir)

  @Test
  void aFinishedOneShotDoesNotRunAgainAfterARestartAndHistoryIsKept() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    upsert("once", "{\"delay\": \"0s\", " + COMPUTE + "}");
    upsert("tick", "{\"every\": \"1s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("once").getString("phase"))
        && status("tick").getLong("runs") >= 2);
    FakeRunner after = new FakeRunner(vertx, 0, SchedulerTest::ok);
    restart(after, Clock.systemUTC());
    upsert("once", "{\"delay\": \"0s\", " + COMPUTE + "}");
    upsert("tick", "{\"every\": \"1s\", " + COMPUTE + "}");
    JsonObject once = status("once");
    assertThat(once.getString("phase")).isEqualTo("Succeeded");
    assertThat(once.getLong("runs")).isEqualTo(1);
    assertThat(once.getJsonObject("lastRun").getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(status("tick").getLong("runs")).isGreaterThanOrEqualTo(2);
    await().atMost(Duration.ofSeconds(30)).until(() -> after.starts.size() >= 1);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10))
        .until(() -> after.starts.size() >= 1 && status("once").getLong("runs") == 1);
  }

  @Test
  void runsMissedWhileDownRunLateWithinTheDeadlineElseAreMissed() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    upsert("within", "{\"delay\": \"10m\", \"startingDeadline\": \"1h\", " + COMPUTE + "}");
    upsert("outside", "{\"delay\": \"10m\", \"startingDeadline\": \"1m\", " + COMPUTE + "}");
    upsert("recurring", "{\"every\": \"10m\", \"startingDeadline\": \"1m\", " + COMPUTE + "}");
    upsert("flood", "{\"every\": \"10s\", " + COMPUTE + "}");
    assertThat(status("within").getString("phase")).isEqualTo("Scheduled");
    // the agent is down for 15 minutes
    FakeRunner after = new FakeRunner(vertx, 0, SchedulerTest::ok);
    restart(after, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(15)));
    upsert("within", "{\"delay\": \"10m\", \"startingDeadline\": \"1h\", " + COMPUTE + "}");
    upsert("outside", "{\"delay\": \"10m\", \"startingDeadline\": \"1m\", " + COMPUTE + "}");
    upsert("recurring", "{\"every\": \"10m\", \"startingDeadline\": \"1m\", " + COMPUTE + "}");
    upsert("flood", "{\"every\": \"10s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("within").getString("phase"))
        && "Failed".equals(status("outside").getString("phase")) && status("recurring").getLong("missed") >= 1
        && status("flood").getLong("runs") >= 1);
    // within ran late once; flood missed ~89 occurrences of 10s while down (no deadline): it runs once, not 89
    // times (a second run may follow within 10 s, on its normal schedule); the others are one MISSED burst
    assertThat(runEvents.stream().filter(e -> e.getString("name").equals("within")).count()).isEqualTo(1);
    assertThat(runEvents.stream().filter(e -> e.getString("name").equals("flood"))
        .filter(e -> !e.getString("outcome").equals("missed")).count()).isBetween(1L, 2L);
    assertThat(status("flood").getLong("missed")).isBetween(85L, 95L);
    assertThat(after.starts.size()).isBetween(2, 3);
    assertThat(r.starts).isEmpty();
    assertThat(status("outside").getJsonObject("lastRun").getString("outcome")).isEqualTo("MISSED");
    assertThat(runEvents).anySatisfy(e -> {
      assertThat(e.getString("name")).isEqualTo("within");
      assertThat(e.getDouble("latenessSeconds")).isBetween(290.0, 310.0);
    });
    // the recurring task's latest occurrence (10m) is 5m late, past its 1m deadline: one MISSED, then rescheduled
    List<String> recurring = new ArrayList<>();
    runEvents.stream().filter(e -> e.getString("name").equals("recurring")).forEach(e -> recurring.add(e.getString("outcome")));
    assertThat(recurring).containsExactly("missed");
    JsonObject rec = status("recurring");
    assertThat(rec.getLong("runs")).isZero();
    assertThat(rec.getJsonObject("lastMissed").getString("reason")).contains("startingDeadline of 1m");
    assertThat(rec.getString("phase")).isEqualTo("Scheduled");
    assertThat(Instant.parse(rec.getString("nextRunAt"))).isAfter(Instant.now().plus(Duration.ofMinutes(19)));
  }

  /** A clock that can be moved forward: the agent "sleeps" (paused, suspended) while its timers wait. */
  static final class ShiftedClock extends Clock {
    final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset.get());
    }
  }

  @Test
  void dueTimesPassedWhileNothingCouldRunAreTheLatestRunOnceAndTheOthersMissed() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    ShiftedClock clock = new ShiftedClock();
    deploy(r, clock, k -> null);
    Instant seen = Instant.now();
    upsert("latest", "{\"every\": \"10s\", " + COMPUTE + "}");
    upsert("skip", "{\"every\": \"10s\", \"missedRuns\": \"Skip\", " + COMPUTE + "}");
    // the agent's clock jumps 155 s while the first timers (10 s) wait: when they fire, 16 due times have passed
    // (seen+10s .. seen+160s) and the next (seen+170s) is still ahead
    clock.offset.set(Duration.ofSeconds(155));
    await().atMost(Duration.ofSeconds(60)).until(() -> status("latest").getLong("runs") == 1
        && status("skip").getLong("missed") > 0);
    JsonObject latest = status("latest");
    assertThat(latest.getLong("missed")).isEqualTo(15);
    JsonObject burst = latest.getJsonObject("lastMissed");
    assertThat(burst.getLong("count")).isEqualTo(15);
    assertThat(Duration.between(Instant.parse(burst.getString("from")), Instant.parse(burst.getString("to"))))
        .isEqualTo(Duration.ofSeconds(140));
    assertThat(Duration.between(seen, Instant.parse(burst.getString("from")))).isBetween(Duration.ofSeconds(9),
        Duration.ofSeconds(11));
    assertThat(burst.getString("reason")).contains("RunLatest");
    assertThat(r.starts).hasSize(1); // the latest, once: not the oldest, not 16 times
    JsonObject skip = status("skip");
    assertThat(skip.getLong("runs")).isZero();
    assertThat(skip.getLong("missed")).isEqualTo(16);
    assertThat(skip.getJsonObject("lastMissed").getString("reason")).contains("Skip");
    // the metric's run event: one per burst, counting every due time; the run itself as succeeded
    assertThat(runEvents).anySatisfy(e -> {
      assertThat(e.getString("name")).isEqualTo("latest");
      assertThat(e.getString("outcome")).isEqualTo("missed");
      assertThat(e.getLong("count")).isEqualTo(15);
    });
    assertThat(runEvents.stream().filter(e -> e.getString("name").equals("skip")).toList())
        .singleElement().satisfies(e -> assertThat(e.getLong("count")).isEqualTo(16));

    // the account is kept in tasks.db: a restart (at once, so no due time passes meanwhile) keeps it
    restart(new FakeRunner(vertx, 0, SchedulerTest::ok), clock);
    upsert("latest", "{\"every\": \"10s\", " + COMPUTE + "}");
    upsert("skip", "{\"every\": \"10s\", \"missedRuns\": \"Skip\", " + COMPUTE + "}");
    JsonObject kept = status("latest");
    assertThat(kept.getLong("missed")).isGreaterThanOrEqualTo(15);
    assertThat(kept.getJsonObject("lastMissed")).isEqualTo(burst);
    assertThat(status("skip").getLong("missed")).isGreaterThanOrEqualTo(16);
  }

  @Test
  void aTaskEditedWhileDownIsRescheduledForItsNewSpecKeepingHistory() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deploy(r);
    upsert("edit", "{\"delay\": \"0s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("edit").getString("phase")));
    FakeRunner after = new FakeRunner(vertx, 0, SchedulerTest::ok);
    restart(after, Clock.systemUTC());
    JsonObject reply = upsert("edit", "{\"delay\": \"200ms\", " + COMPUTE + "}");
    assertThat(reply.getJsonObject("task").getJsonObject("metadata").getLong("generation")).isEqualTo(2);
    await().atMost(Duration.ofSeconds(30)).until(() -> status("edit").getLong("runs") == 2);
    assertThat(after.starts).hasSize(1);
    assertThat(status("edit").getLong("observedGeneration")).isEqualTo(2);
  }

  @Test
  void restPostedTasksComeBackAfterARestartWithoutTheirSource() throws Exception {
    deploy(new FakeRunner(vertx, 0, SchedulerTest::ok));
    upsert("rest", "t/posted", "posted", "{\"delay\": \"1h\", " + COMPUTE + "}");
    restart(new FakeRunner(vertx, 0, SchedulerTest::ok), Clock.systemUTC());
    JsonObject s = status("posted");
    assertThat(s.getString("phase")).isEqualTo("Scheduled");
    JsonObject health = get(vertx.eventBus().<JsonObject>request(TasksVerticle.HEALTH, new JsonObject())).body();
    assertThat(health.getBoolean("ready")).isTrue();
    assertThat(health.getInteger("tasks")).isEqualTo(1);
  }

  JsonObject health() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.HEALTH, new JsonObject())).body();
  }

  @Test
  void anEditDuringARunCancelsItAndTheTaskIsNoLongerCountedAsRunning() throws Exception {
    FakeRunner r = new FakeRunner(vertx, -1, SchedulerTest::ok);
    deploy(r);
    upsert("busy", "{\"delay\": \"0s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Running".equals(status("busy").getString("phase")));
    assertThat(health().getInteger("running")).isEqualTo(1);
    upsert("busy", "{\"delay\": \"1h\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> runEvents.size() == 1);
    assertThat(r.cancels.get()).isEqualTo(1);
    assertThat(runEvents.get(0).getString("outcome")).isEqualTo("cancelled");
    assertThat(status("busy").getString("phase")).isEqualTo("Scheduled");
    assertThat(health().getInteger("running")).isZero();
  }

  @Test
  void aRetryDoesNotShiftARecurringSchedule() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 0, n -> n == 0 ? RunResult.failure(RunResult.Outcome.FAILED, "HTTP 503") : ok(n));
    deploy(r);
    upsert("tick", "{\"every\": \"2s\", \"retry\": {\"limit\": 1, \"backoff\": \"600ms\"}, " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> r.starts.size() == 2 && status("tick").getLong("runs") == 1);
    JsonObject s = status("tick");
    assertThat(s.getString("phase")).isEqualTo("Scheduled");
    assertThat(s.getLong("attempts")).isEqualTo(2);
    // the next occurrence is one interval after the retried occurrence's due time, not one after the retry
    Instant next = Instant.parse(s.getString("nextRunAt"));
    await().atMost(Duration.ofSeconds(30)).until(() -> !dueTimes("tick").isEmpty());
    assertThat(next).isEqualTo(dueTimes("tick").get(0).plusSeconds(2));
  }

  @Test
  void aRecurringRunInterruptedByAStopIsNotReplayedFromItsFirstOccurrence() throws Exception {
    FakeRunner r = new FakeRunner(vertx, -1, SchedulerTest::ok);
    deploy(r);
    String spec = "{\"every\": \"1s\", \"startingDeadline\": \"5s\", " + COMPUTE + "}";
    upsert("long", spec);
    await().atMost(Duration.ofSeconds(30)).until(() -> "Running".equals(status("long").getString("phase")));
    // the agent stops in the middle of the run and is down for 10 minutes
    FakeRunner after = new FakeRunner(vertx, 0, SchedulerTest::ok);
    restart(after, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)));
    runEvents.clear();
    upsert("long", spec);
    // the interrupted run is recorded failed at the restart (its event may reach this test after the clear above);
    // the due times between it and the latest are one MISSED burst
    await().atMost(Duration.ofSeconds(30)).until(() -> runEvents.stream()
        .anyMatch(e -> "succeeded".equals(e.getString("outcome"))));
    List<JsonObject> events = List.copyOf(runEvents);
    JsonObject first = events.stream().filter(e -> "succeeded".equals(e.getString("outcome"))).findFirst()
        .orElseThrow();
    assertThat(events.subList(0, events.indexOf(first))).as("before it, the interrupted run's record and the burst")
        .allMatch(e -> "failed".equals(e.getString("outcome")) || "missed".equals(e.getString("outcome")));
    // the latest occurrence (less than 1s ago) runs; the first occurrence, 10 minutes ago, is not what counts
    assertThat(first.getDouble("latenessSeconds")).isLessThan(5.0);
    assertThat(status("long").getLong("runs")).isGreaterThanOrEqualTo(1);
    assertThat(status("long").getLong("missed")).isGreaterThan(500);
  }

  static long storedRows(Path db, String key) throws Exception {
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var st = c.prepareStatement("SELECT count(*) FROM tasks WHERE key = ?")) {
      st.setString(1, key);
      try (var rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  @Test
  void whatAFailedWriteDidNotStoreIsWrittenLaterAndRestChangesAreRefusedMeanwhile() throws Exception {
    deploy(new FakeRunner(vertx, 0, SchedulerTest::ok));
    Path db = tmp.resolve("tasks.db");
    upsert("a.yaml", "t/gone", "gone", "{\"delay\": \"1h\", " + COMPUTE + "}");
    upsert("rest", "t/posted", "posted", "{\"delay\": \"1h\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> storedRows(db, "t/gone") == 1);
    // another process holds the database's write lock: the next writes fail (busy)
    try (var lock = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var st = lock.createStatement()) {
      st.execute("BEGIN EXCLUSIVE");
      upsert("b.yaml", "t/kept", "kept", "{\"delay\": \"1h\", " + COMPUTE + "}");
      withdraw("a.yaml", "t/gone");
      await().atMost(Duration.ofSeconds(15)).until(() -> "degraded".equals(health().getString("state")));
      assertThat(health().getBoolean("ready")).isFalse();
      assertThat(health().getString("lastError")).contains("cannot write tasks.db: locked by another process: " + db);
      // a REST post or delete lives only in tasks.db: refused while it cannot be written, nothing changed
      Throwable refused = get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(origin("rest", "t/new"),
          TaskReader.read("{\"metadata\": {\"name\": \"new\", \"namespace\": \"t\"}, \"spec\": {\"delay\": \"1h\", "
              + COMPUTE + "}}", TaskReader.Format.JSON))).transform(ar -> Future.succeededFuture(ar.cause())));
      assertThat(((ReplyException) refused).failureCode()).isEqualTo(503);
      assertThat(refused.getMessage()).contains("the task is not stored: cannot write tasks.db: locked by another process");
      Throwable notRemoved = get(vertx.eventBus().request(TasksVerticle.WITHDRAW,
          new dev.nodepulse.tasks.model.Withdrawal(origin("rest", "t/posted"), "t/posted"))
          .transform(ar -> Future.succeededFuture(ar.cause())));
      assertThat(((ReplyException) notRemoved).failureCode()).isEqualTo(503);
      assertThat(status("posted").getString("phase")).isEqualTo("Scheduled");
      st.execute("COMMIT");
    }
    // once the lock is gone, the next write stores both changes, and the store is healthy again
    await().atMost(Duration.ofSeconds(15)).until(() -> storedRows(db, "t/kept") == 1 && storedRows(db, "t/gone") == 0);
    await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(health().getString("state")));
    assertThat(health().getBoolean("ready")).isTrue();
    assertThat(storedRows(db, "t/new")).isZero();
    restart(new FakeRunner(vertx, 0, SchedulerTest::ok), Clock.systemUTC());
    upsert("b.yaml", "t/kept", "kept", "{\"delay\": \"1h\", " + COMPUTE + "}");
    assertThat(status("kept").getString("phase")).isEqualTo("Scheduled");
    assertThat(status("posted").getString("phase")).isEqualTo("Scheduled");
    Throwable gone = get(vertx.eventBus().request(TasksVerticle.GET,
        new JsonObject().put("namespace", "t").put("name", "gone")).transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(((ReplyException) gone).failureCode()).isEqualTo(404);
  }

  @Test
  void aRunThatWaitsInTheQueuePastItsStartingDeadlineIsMissed() throws Exception {
    FakeRunner r = new FakeRunner(vertx, 1500, SchedulerTest::ok);
    deploy(r, Clock.systemUTC(), k -> null, "--max-concurrent-runs", "1");
    upsert("first", "{\"delay\": \"0s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Running".equals(status("first").getString("phase")));
    // the only compute slot is busy for 1.5 s: this run would start past its 1 s deadline
    upsert("queued", "{\"delay\": \"0s\", \"startingDeadline\": \"1s\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(status("queued").getString("phase")));
    assertThat(r.starts).hasSize(1);
    assertThat(status("queued").getJsonObject("lastRun").getString("outcome")).isEqualTo("MISSED");
    assertThat(runEvents).anySatisfy(e -> {
      assertThat(e.getString("name")).isEqualTo("queued");
      assertThat(e.getString("outcome")).isEqualTo("missed");
      assertThat(e.getDouble("latenessSeconds")).isGreaterThan(1.0);
    });
  }

  @Test
  void aStoredRestTaskThatNoLongerValidatesIsShownFailedAndCanBeDeleted() throws Exception {
    // posted before a bound was tightened: a header value with a control character
    String object = new JsonObject().put("metadata", new JsonObject().put("name", "old").put("namespace", "t"))
        .put("spec", new JsonObject("{\"delay\": \"1h\", \"target\": {\"http\": {\"url\": \"http://127.0.0.1:1/\", "
            + "\"headers\": {\"X-A\": \"a\\u0000b\"}}}}")).encode();
    deploy(new FakeRunner(vertx, 0, SchedulerTest::ok));
    upsert("rest", "t/old", "old", "{\"delay\": \"1h\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> storedRows(tmp.resolve("tasks.db"), "t/old") == 1);
    get(vertx.undeploy(deployment));
    try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + tmp.resolve("tasks.db"));
        var st = db.prepareStatement("UPDATE tasks SET object = ?, runs = 3 WHERE key = 't/old'")) {
      st.setString(1, object);
      st.executeUpdate();
    }
    deploy(new FakeRunner(vertx, 0, SchedulerTest::ok));
    JsonObject s = status("old");
    assertThat(s.getString("phase")).isEqualTo("Failed");
    assertThat(s.getLong("runs")).isEqualTo(3);
    assertThat(s.getJsonArray("conditions").getJsonObject(0).getString("message"))
        .contains("spec.target.http.headers.X-A");
    withdraw("rest", "t/old");
    await().atMost(Duration.ofSeconds(30)).until(() -> storedRows(tmp.resolve("tasks.db"), "t/old") == 0);
  }

  static boolean runningRecorded(Path db, String key) throws Exception {
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var st = c.prepareStatement("SELECT running_due FROM tasks WHERE key = ?")) {
      st.setString(1, key);
      try (var rs = st.executeQuery()) {
        return rs.next() && rs.getObject(1) != null;
      }
    }
  }

  @Test
  void aOneShotThatWasRunningWhenTheAgentWasKilledIsNotRepeatedAndSaysSo() throws Exception {
    FakeRunner r = new FakeRunner(vertx, -1, SchedulerTest::ok); // the target is called and never answers
    deploy(r);
    upsert("once", "{\"delay\": \"0s\", " + COMPUTE + "}");
    upsert("tick", "{\"every\": \"1h\", " + COMPUTE + "}");
    await().atMost(Duration.ofSeconds(30)).until(() -> r.starts.size() == 1);
    // the start was committed before the target was called: a kill -9 now leaves exactly these files
    assertThat(runningRecorded(tmp.resolve("tasks.db"), "t/once")).isTrue();
    Path crashed = java.nio.file.Files.createDirectories(tmp.resolve("after-kill"));
    for (String f : new String[] {"tasks.db", "tasks.db-wal", "tasks.db-shm"}) {
      if (java.nio.file.Files.exists(tmp.resolve(f))) {
        java.nio.file.Files.copy(tmp.resolve(f), crashed.resolve(f));
      }
    }
    get(vertx.undeploy(deployment));

    FakeRunner after = new FakeRunner(vertx, 0, SchedulerTest::ok);
    deployment = get(vertx.deployVerticle(new TasksVerticle(Config.forTest(crashed),
        Plugins.standalone(k -> null).withRunner(after, Clock.systemUTC()))));
    upsert("once", "{\"delay\": \"0s\", " + COMPUTE + "}");
    upsert("tick", "{\"every\": \"1h\", " + COMPUTE + "}");
    JsonObject s = status("once");
    assertThat(s.getString("phase")).isEqualTo("Failed");
    assertThat(s.getLong("runs")).isEqualTo(1);
    assertThat(s.getJsonObject("lastRun").getString("error"))
        .contains("the agent stopped during the run due at").contains("not repeated");
    assertThat(status("tick").getString("phase")).isEqualTo("Scheduled");
    // at most once: nothing is sent again, now or later
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(30)).until(() -> after.starts.isEmpty());
    JsonObject runs = get(vertx.eventBus().<JsonObject>request(TasksVerticle.RUNS,
        new JsonObject().put("namespace", "t").put("name", "once"))).body();
    assertThat(runs.getJsonArray("items").getJsonObject(0).getString("error")).contains("outcome is unknown");
  }
}

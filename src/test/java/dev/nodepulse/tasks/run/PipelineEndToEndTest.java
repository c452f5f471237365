package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task pipeline with the real targets against local peers (an in-test HTTP server on 127.0.0.1, port 0). */
class PipelineEndToEndTest {
  @TempDir Path tmp;
  Vertx vertx;
  HttpServer server;
  final List<JsonObject> runEvents = new CopyOnWriteArrayList<>();
  final List<JsonObject> changes = new CopyOnWriteArrayList<>();
  final List<Instant> requests = new CopyOnWriteArrayList<>();
  /** Of each request to /once-a-due-time: its Idempotency-Key and User-Agent headers. */
  final List<List<String>> keyed = new CopyOnWriteArrayList<>();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(TasksVerticle.RUN, m -> runEvents.add(m.body()));
    vertx.eventBus().<JsonObject>consumer(TasksVerticle.CHANGED, m -> changes.add(m.body()));
    // /flaky: 503 twice, then 200; /slow: answers after 300 ms; /never: never answers
    AtomicInteger flaky = new AtomicInteger();
    AtomicInteger keyedCalls = new AtomicInteger();
    server = get(vertx.createHttpServer().requestHandler(req -> {
      requests.add(Instant.now());
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      switch (req.path()) {
        case "/flaky" -> {
          inFlight.decrementAndGet();
          req.response().setStatusCode(flaky.getAndIncrement() < 2 ? 503 : 200).end("done");
        }
        case "/once-a-due-time" -> { // fails the first request only: one retry, then the next due time
          inFlight.decrementAndGet();
          keyed.add(java.util.Arrays.asList(req.getHeader("Idempotency-Key"), req.getHeader("User-Agent")));
          req.response().setStatusCode(keyedCalls.getAndIncrement() == 0 ? 503 : 200).end();
        }
        case "/slow" -> vertx.setTimer(300, id -> {
          inFlight.decrementAndGet();
          req.response().end("slow");
        });
        default -> { }
      }
    }).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  void deploy(String... flags) throws Exception {
    get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp, flags))));
  }

  void upsert(String name, String spec) throws Exception {
    String task = new JsonObject().put("metadata", new JsonObject().put("name", name))
        .put("spec", new JsonObject(spec)).encode();
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, name, 0),
        TaskReader.read(task, TaskReader.Format.JSON))));
  }

  JsonObject status(String name) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET,
        new JsonObject().put("namespace", "default").put("name", name))).body().getJsonObject("status");
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  @Test
  void retryWithBackoffThenSuccessAgainstALocalServer() throws Exception {
    deploy();
    upsert("flaky", "{\"delay\": \"0s\", \"retry\": {\"limit\": 3, \"backoff\": \"200ms\"}, "
        + "\"target\": {\"http\": {\"url\": \"" + url("/flaky") + "\"}}}");
    await().atMost(Duration.ofSeconds(10)).until(() -> "Succeeded".equals(status("flaky").getString("phase")));
    assertThat(requests).hasSize(3);
    assertThat(Duration.between(requests.get(0), requests.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    assertThat(Duration.between(requests.get(1), requests.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(390));
    JsonObject s = status("flaky");
    assertThat(s.getLong("attempts")).isEqualTo(3);
    assertThat(s.getLong("runs")).isEqualTo(1);
    assertThat(s.getJsonObject("lastRun").getInteger("httpStatus")).isEqualTo(200);
    assertThat(s.getJsonObject("lastRun").getString("result")).contains("done");
    assertThat(runEvents).extracting(e -> e.getString("outcome")).containsExactly("failed", "failed", "succeeded");
    assertThat(runEvents).allSatisfy(e -> assertThat(e.getString("target")).isEqualTo("http"));
  }

  @Test
  void everyRequestCarriesAKeyForItsDueTimeTheSameOnARetryAndTheAgentsName() throws Exception {
    deploy();
    upsert("keyed", "{\"every\": \"1s\", \"retry\": {\"limit\": 1, \"backoff\": \"100ms\"}, "
        + "\"target\": {\"http\": {\"url\": \"" + url("/once-a-due-time") + "\"}}}");
    await().atMost(Duration.ofSeconds(15)).until(() -> keyed.size() >= 3);

    // 503 on the first due time, its retry, then the next due time: <namespace/name>/<due time, RFC 3339>
    List<String> keys = keyed.stream().map(h -> h.get(0)).toList();
    assertThat(keys.get(0)).startsWith("default/keyed/");
    assertThat(keys.get(1)).isEqualTo(keys.get(0));
    Instant first = Instant.parse(keys.get(0).substring("default/keyed/".length()));
    Instant next = Instant.parse(keys.get(2).substring("default/keyed/".length()));
    assertThat(next).isAfter(first); // one interval later unless a busy machine made it skip one
    assertThat(Duration.between(first, next).toMillis() % 1000).isZero();
    assertThat(keyed).extracting(h -> h.get(1)).containsOnly("nodepulse/" + dev.nodepulse.config.Flags.version());
  }

  @Test
  void aRunThatOutlivesItsTimeoutEndsAsTimeout() throws Exception {
    deploy();
    upsert("never", "{\"delay\": \"0s\", \"target\": {\"http\": {\"url\": \"" + url("/never")
        + "\", \"timeout\": \"300ms\"}}}");
    await().atMost(Duration.ofSeconds(10)).until(() -> "Failed".equals(status("never").getString("phase")));
    JsonObject last = status("never").getJsonObject("lastRun");
    assertThat(last.getString("outcome")).isEqualTo("TIMEOUT");
    assertThat(last.getLong("durationMs")).isBetween(250L, 3000L);
    assertThat(runEvents).extracting(e -> e.getString("outcome")).containsExactly("timeout");
  }

  @Test
  void neverMoreThanTheBoundInFlightAgainstASlowServer() throws Exception {
    deploy("--max-concurrent-runs", "2");
    for (int i = 0; i < 6; i++) {
      upsert("slow-" + i, "{\"delay\": \"0s\", \"target\": {\"http\": {\"url\": \"" + url("/slow") + "\"}}}");
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> runEvents.size() == 6);
    assertThat(requests).hasSize(6);
    assertThat(maxInFlight.get()).isEqualTo(2);
    assertThat(runEvents).allSatisfy(e -> assertThat(e.getString("outcome")).isEqualTo("succeeded"));
    // queued runs start late: the last pair waited about two rounds of 300 ms, and that lateness is published
    assertThat(runEvents.stream().mapToDouble(e -> e.getDouble("latenessSeconds")).max().orElseThrow())
        .isGreaterThanOrEqualTo(0.55);
    assertThat(runEvents.stream().mapToDouble(e -> e.getDouble("durationSeconds")).min().orElseThrow())
        .isGreaterThanOrEqualTo(0.29);
  }

  @Test
  void computeTasksPublishProgressAndTheDigits() throws Exception {
    deploy();
    upsert("pi", "{\"delay\": \"0s\", \"target\": {\"compute\": {\"pi\": {\"digits\": 50000}}}}");
    await().atMost(Duration.ofSeconds(60)).until(() -> "Succeeded".equals(status("pi").getString("phase")));
    JsonObject last = status("pi").getJsonObject("lastRun");
    assertThat(last.getString("result")).startsWith("3.14159");
    assertThat(status("pi").containsKey("progress")).isFalse();
    // progress is throttled to at most 4 updates a second per task
    long running = changes.stream().filter(c -> "Running".equals(c.getJsonObject("status").getString("phase"))).count();
    assertThat(running).isLessThanOrEqualTo(4 * last.getLong("durationMs") / 1000 + 3);
    assertThat(changes).anySatisfy(c -> {
      assertThat(c.getJsonObject("status").getString("phase")).isEqualTo("Running");
      assertThat(c.getJsonObject("status").getJsonObject("progress").getInteger("percent")).isBetween(1, 99);
      assertThat(c.getJsonObject("status").getJsonObject("progress").getString("intermediate")).startsWith("3.1");
    });
  }
}

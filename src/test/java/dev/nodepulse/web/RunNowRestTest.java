package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.run.Runner;
import dev.nodepulse.tasks.source.RestSource;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run now from REST ({@code POST /api/v1/tasks/{ns}/{name}/runs}): 202 and one extra run recorded like any other,
 * the schedule unchanged; the same request id never runs twice; 404 for an unknown task; the token rules of every
 * task change; a bad request id refused naming the field.
 */
class RunNowRestTest {
  static final String TOKEN = "Bearer s3cret-token";
  @TempDir Path tmp;
  Vertx vertx;
  final AtomicInteger starts = new AtomicInteger();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  int start() throws Exception {
    vertx = Vertx.vertx();
    Path token = Files.writeString(tmp.resolve("token"), "s3cret-token\n");
    Config config = Config.forTest(tmp, "--http-host", "0.0.0.0", "--api-token-file", token.toString());
    Runner runner = (target, headers, progress) -> {
      starts.incrementAndGet();
      return new Execution() {
        @Override
        public Future<RunResult> result() {
          return Future.succeededFuture(RunResult.success(200, 2, "ok"));
        }

        @Override
        public void cancel() {}
      };
    };
    vertx.deployVerticle(new TasksVerticle(config, Plugins.standalone(k -> null).withRunner(runner,
        Clock.systemUTC()))).await();
    vertx.deployVerticle(new RestSource()).await();
    vertx.deployVerticle(new MetricsVerticle(config)).await();
    WebVerticle web = new WebVerticle(config, List.of("metrics", "web"));
    vertx.deployVerticle(web).await();
    return web.httpPort();
  }

  static RawHttp.Reply post(int port, String path, String auth, String body) throws Exception {
    return RawHttp.exchange(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nContent-Type: application/json\r\n" + (auth == null ? "" : "Authorization: " + auth + "\r\n"),
        body.getBytes(StandardCharsets.UTF_8));
  }

  static JsonObject status(int port) throws Exception {
    return new JsonObject(RawHttp.get(port, "127.0.0.1", "/api/v1/tasks/shop/warm").body()).getJsonObject("status");
  }

  @Test
  void aRequestRunsOnceMoreAndTheSameIdNeverTwice() throws Exception {
    int port = start();
    String task = "{\"metadata\": {\"name\": \"warm\", \"namespace\": \"shop\"}, \"spec\": {\"every\": \"1h\", "
        + "\"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}}}";
    assertThat(post(port, "/api/v1/tasks", TOKEN, task).status()).isEqualTo(201);
    String next = status(port).getString("nextRunAt");

    RawHttp.Reply first = post(port, "/api/v1/tasks/shop/warm/runs", TOKEN, "{\"requestId\": \"1733337600\"}");
    assertThat(first.status()).as(first.body()).isEqualTo(202);
    JsonObject body = new JsonObject(first.body());
    assertThat(body.getString("requestId")).isEqualTo("1733337600");
    assertThat(body.getBoolean("duplicate")).isFalse();
    assertThat(body.getJsonObject("task").getJsonObject("metadata").getString("name")).isEqualTo("warm");
    await().atMost(Duration.ofSeconds(30)).until(() -> status(port).getLong("runs") == 1);
    JsonObject s = status(port);
    assertThat(s.getJsonObject("lastRun").getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(s.getString("nextRunAt")).as("the schedule goes on as before").isEqualTo(next);
    assertThat(RawHttp.get(port, "127.0.0.1", "/api/v1/tasks/shop/warm/runs").body()).contains("\"SUCCEEDED\"");

    RawHttp.Reply again = post(port, "/api/v1/tasks/shop/warm/runs", TOKEN, "{\"requestId\": \"1733337600\"}");
    assertThat(again.status()).isEqualTo(200);
    assertThat(new JsonObject(again.body()).getBoolean("duplicate")).isTrue();
    // a new id runs; had the repeated one been taken it would have run before it (runs of a task are in order)
    assertThat(post(port, "/api/v1/tasks/shop/warm/runs", TOKEN, "").status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(30)).until(() -> status(port).getLong("runs") == 2);
    assertThat(starts).hasValue(2);
  }

  @Test
  void unknownTasksBadIdsAndMissingTokensAreRefused() throws Exception {
    int port = start();
    RawHttp.Reply unknown = post(port, "/api/v1/tasks/shop/nope/runs", TOKEN, "{}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getString("error")).isEqualTo("task shop/nope not found");
    assertThat(post(port, "/api/v1/tasks/shop/nope/runs", null, "{}").status()).isEqualTo(401);
    assertThat(post(port, "/api/v1/tasks/shop/nope/runs", "Bearer wrong", "{}").status()).isEqualTo(403);

    RawHttp.Reply spaced = post(port, "/api/v1/tasks/shop/nope/runs", TOKEN, "{\"requestId\": \"a b\"}");
    assertThat(spaced.status()).isEqualTo(400);
    assertThat(new JsonObject(spaced.body()).getString("error")).startsWith("requestId: 'a b' is not a request id");
    assertThat(post(port, "/api/v1/tasks/shop/nope/runs", TOKEN, "{\"requestId\": \"" + "x".repeat(65) + "\"}")
        .status()).isEqualTo(400);
    assertThat(post(port, "/api/v1/tasks/shop/nope/runs", TOKEN, "{\"requestId\": 7}").status()).isEqualTo(400);
    RawHttp.Reply other = post(port, "/api/v1/tasks/shop/nope/runs", TOKEN, "{\"id\": \"x\"}");
    assertThat(other.status()).isEqualTo(400);
    assertThat(new JsonObject(other.body()).getString("error")).isEqualTo("unknown field 'id'; known: requestId");
    assertThat(starts).hasValue(0);
  }
}

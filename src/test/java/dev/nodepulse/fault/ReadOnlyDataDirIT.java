package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data dir becomes read-only between two starts of the packaged agent (a read-only bind mount, which denies
 * root too). The second start reads tasks.db read-only: the one-shot that had finished is not sent again; a new
 * one-shot is held (not run, its start cannot be recorded); {@code /readyz} is 503 and the scheduler says why.
 * When the mount is made writable again, the agent recovers by itself: the held one-shot runs, once.
 */
class ReadOnlyDataDirIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path tmp;

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonObject status(int port, String name) throws Exception {
    HttpResponse<String> r = get(port, "/api/v1/tasks/default/" + name);
    return r.statusCode() == 200 ? new JsonObject(r.body()).getJsonObject("status") : new JsonObject();
  }

  static boolean held(int port, String name) throws Exception {
    JsonArray conditions = status(port, name).getJsonArray("conditions", new JsonArray());
    return conditions.stream().anyMatch(c -> "Held".equals(((JsonObject) c).getString("type")));
  }

  private static boolean run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor() == 0;
  }

  @Test
  void aFinishedOneShotIsNotSentAgainANewOneIsHeldAndReadyzSaysWhy() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path tasks = Files.createDirectories(tmp.resolve("tasks"));
    String[] args = {"--http-port", "0", "--data-dir", data.toString(), "--tasks-dir", tasks.toString()};
    try (CountingTarget target = new CountingTarget()) {
      Files.writeString(tasks.resolve("first.yaml"), target.taskYaml("first"));
      try (AgentProcess agent = AgentProcess.start(0, args)) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> "Succeeded".equals(status(agent.port, "first").getString("phase")));
      }
      assertThat(target.hits("first")).isEqualTo(1);

      Assumptions.assumeTrue(run("mount", "--bind", data.toString(), data.toString()),
          "skipped: this test needs `mount --bind` (root in a namespace that may mount) to make the data dir read-only");
      try {
        Assumptions.assumeTrue(run("mount", "-o", "remount,ro,bind", data.toString()),
            "skipped: `mount -o remount,ro,bind` is refused here");
        boolean denied;
        try {
          Files.delete(Files.createFile(data.resolve("probe")));
          denied = false;
        } catch (java.io.IOException e) {
          denied = true;
        }
        Assumptions.assumeTrue(denied, "skipped: the read-only bind mount does not deny writes here");
        Files.writeString(tasks.resolve("second.yaml"), target.taskYaml("second"));

        try (AgentProcess agent = AgentProcess.start(0, args)) {
          Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
              held(agent.port, "second") || target.hits("second") > 0 || target.hits("first") > 1);
          assertThat(target.hits("first")).as("the finished one-shot is not sent again").isEqualTo(1);
          assertThat(target.hits("second")).as("the new one-shot is held: its start cannot be recorded").isZero();
          assertThat(status(agent.port, "first").getString("phase")).isEqualTo("Succeeded");
          HttpResponse<String> ready = get(agent.port, "/readyz");
          assertThat(ready.statusCode()).isEqualTo(503);
          JsonObject scheduler = new JsonObject(ready.body()).getJsonObject("components").getJsonObject("scheduler");
          assertThat(scheduler.getBoolean("ready")).isFalse();
          assertThat(scheduler.getString("lastError"))
              .startsWith("cannot write tasks.db: read-only: " + data.resolve("tasks.db"))
              .contains("runs are held until it can be written");

          // writable again: the agent recovers by itself, the held one-shot runs once, the finished one stays done
          assertThat(run("mount", "-o", "remount,rw,bind", data.toString())).isTrue();
          Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
              .until(() -> "Succeeded".equals(status(agent.port, "second").getString("phase")));
          Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
              .until(() -> get(agent.port, "/readyz").statusCode() == 200);
          assertThat(held(agent.port, "second")).isFalse();
        }
        assertThat(target.hits("second")).isEqualTo(1);
        assertThat(target.hits("first")).isEqualTo(1);
      } finally {
        run("umount", "-l", data.toString());
      }
    }
  }
}

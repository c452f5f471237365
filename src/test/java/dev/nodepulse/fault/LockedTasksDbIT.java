package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another process holds tasks.db's write lock ({@code BEGIN EXCLUSIVE} on a connection of the test) while three
 * {@code delay: 0s} one-shots come due in the packaged agent. None is run without its start recorded (at most
 * once): all three are held together, and {@code /readyz} says the database is locked. Once the lock is gone
 * they run together, not one busy-wait after another, and each {@code durationMs} is the target's call, not the
 * wait for the database.
 */
class LockedTasksDbIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final List<String> NAMES = List.of("a", "b", "c");
  /** SQLite's driver waits this long for a lock by default: the old per-run wait. */
  private static final long DRIVER_BUSY_TIMEOUT_MS = 3000;

  @TempDir Path tmp;

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void runsAreHeldTogetherWhileLockedThenRunTogetherTimedFromTheirCall() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path tasks = Files.createDirectories(tmp.resolve("tasks"));
    String[] args = {"--http-port", "0", "--data-dir", data.toString(), "--tasks-dir", tasks.toString()};
    try (CountingTarget target = new CountingTarget(); AgentProcess agent = AgentProcess.start(0, args)) {
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> get(agent.port, "/readyz").statusCode() == 200);
      long released;
      try (Connection lock = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("tasks.db"));
          Statement st = lock.createStatement()) {
        st.execute("BEGIN EXCLUSIVE");
        for (String n : NAMES) {
          Files.writeString(tasks.resolve(n + ".yaml"), target.taskYaml(n));
        }
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
            NAMES.stream().allMatch(n -> held(agent.port, n)) || NAMES.stream().anyMatch(n -> target.hits(n) > 0));
        for (String n : NAMES) {
          assertThat(target.hits(n)).as(n + " is not run while its start cannot be recorded").isZero();
        }
        HttpResponse<String> ready = get(agent.port, "/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        JsonObject scheduler = new JsonObject(ready.body()).getJsonObject("components").getJsonObject("scheduler");
        assertThat(scheduler.getBoolean("ready")).isFalse();
        assertThat(scheduler.getString("lastError"))
            .startsWith("cannot write tasks.db: locked by another process: " + data.resolve("tasks.db"))
            .contains("runs held now: 3");
        released = System.nanoTime();
        st.execute("ROLLBACK");
      }
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
          NAMES.stream().allMatch(n -> "Succeeded".equals(phase(agent.port, n))));
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (String n : NAMES) {
        assertThat(target.hits(n)).isEqualTo(1);
        long at = target.firstArrival(n);
        assertThat(at).as(n + " reached after the lock was released").isGreaterThanOrEqualTo(released);
        first = Math.min(first, at);
        last = Math.max(last, at);
        long durationMs = ReadOnlyDataDirIT.status(agent.port, n).getJsonObject("lastRun").getLong("durationMs");
        assertThat(durationMs).as(n + ": the target's call, not the wait for the database")
            .isLessThan(DRIVER_BUSY_TIMEOUT_MS);
      }
      assertThat(Duration.ofNanos(last - first).toMillis()).as("the three runs went together, not one lock wait apart")
          .isLessThan(DRIVER_BUSY_TIMEOUT_MS);
    }
  }

  private static boolean held(int port, String name) {
    try {
      return ReadOnlyDataDirIT.held(port, name);
    } catch (Exception e) {
      return false;
    }
  }

  private static String phase(int port, String name) {
    try {
      return ReadOnlyDataDirIT.status(port, name).getString("phase");
    } catch (Exception e) {
      return null;
    }
  }
}

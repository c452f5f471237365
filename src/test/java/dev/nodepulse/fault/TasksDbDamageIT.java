package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tasks.db truncated between two starts of the packaged agent: the second start keeps the damaged file aside
 * as tasks.db.corrupt-&lt;time&gt;, starts a fresh store, says so once (its log and /readyz), reads the task file
 * again from the tasks dir, and has lost the REST-declared task and the run history, as docs/tasks.md says. A
 * third start finds the fresh store sound and says nothing.
 */
class TasksDbDamageIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path tmp;

  private static HttpResponse<String> send(int port, HttpRequest.Builder b, String path) throws Exception {
    return HTTP.send(b.uri(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject task(int port, String name) throws Exception {
    HttpResponse<String> r = send(port, HttpRequest.newBuilder(), "/api/v1/tasks/default/" + name);
    return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
  }

  private static String phase(int port, String name) throws Exception {
    JsonObject t = task(port, name);
    return t == null ? null : t.getJsonObject("status", new JsonObject()).getString("phase");
  }

  private AgentProcess start(Path tasks, Path data) throws Exception {
    return AgentProcess.start(0, "--http-port", "0", "--data-dir", data.toString(), "--tasks-dir", tasks.toString());
  }

  @Test
  void aTruncatedTasksDbIsKeptAsideAndTheAgentStartsAfreshSayingWhatWasLost() throws Exception {
    Path tasks = Files.createDirectories(tmp.resolve("tasks"));
    Path data = tmp.resolve("data");
    Files.writeString(tasks.resolve("from-file.yaml"), """
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: from-file, namespace: default}
        spec:
          delay: 0s
          target: {compute: {pi: {digits: 10}}}
        """);

    // 1. the first start: the file's one-shot runs once, a task is declared through the REST API
    try (AgentProcess agent = start(tasks, data)) {
      HttpResponse<String> posted = send(agent.port, HttpRequest.newBuilder().header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("apiVersion", "nodepulse.dev/v1alpha1")
              .put("kind", "DelayedTask").put("metadata", new JsonObject().put("name", "from-rest").put("namespace", "default"))
              .put("spec", new JsonObject().put("every", "1h").put("target",
                  new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 10)))))
              .encode())), "/api/v1/tasks");
      assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> "Succeeded".equals(phase(agent.port, "from-file")));
      assertThat(task(agent.port, "from-rest")).isNotNull();
      JsonArray runs = new JsonObject(send(agent.port, HttpRequest.newBuilder(), "/api/v1/tasks/default/from-file/runs")
          .body()).getJsonArray("items");
      assertThat(runs).hasSize(1);
    }

    // 2. between the starts, tasks.db is cut to half its length (a crash of the disk, not of the agent)
    Path db = data.resolve("tasks.db");
    assertThat(db).isRegularFile();
    long size = Files.size(db);
    try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
      f.setLength(size / 2);
    }

    // 3. the second start: kept aside, a fresh store, said once; the file's task read again, the REST one lost
    try (AgentProcess agent = start(tasks, data)) {
      try (Stream<Path> files = Files.list(data)) {
        List<Path> aside = files.filter(p -> p.getFileName().toString().startsWith("tasks.db.corrupt-")).toList();
        assertThat(aside).hasSize(1);
        assertThat(Files.size(aside.get(0))).as("the damaged file, kept as it was").isEqualTo(size / 2);
      }
      Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(send(agent.port, HttpRequest.newBuilder(), "/readyz").body()).contains("was damaged (")
              .contains("it is kept as " + db + ".corrupt-").contains("Lost: the tasks declared through the REST API"));
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> "Succeeded".equals(phase(agent.port, "from-file")));
      assertThat(task(agent.port, "from-rest")).as("the REST-declared task was in the lost store").isNull();
      assertThat(agent.output().lines().filter(l -> l.contains("was damaged (")).count()).as("said once in the log")
          .isEqualTo(1);
    }

    // 4. the third start: the fresh store is sound, nothing is said, nothing more is set aside
    try (AgentProcess agent = start(tasks, data)) {
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> "Succeeded".equals(phase(agent.port, "from-file")));
      assertThat(send(agent.port, HttpRequest.newBuilder(), "/readyz").body()).doesNotContain("damaged");
      assertThat(agent.output()).doesNotContain("damaged");
      try (Stream<Path> files = Files.list(data)) {
        assertThat(files.filter(p -> p.getFileName().toString().startsWith("tasks.db.corrupt-")).count()).isEqualTo(1);
      }
    }
  }
}

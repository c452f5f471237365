package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.AgentOutput;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unreadable task file, shown whoever runs the suite (root reads any file, so the agent cannot be root
 * here): the packaged jar runs as the image's user (uid/gid 65532, no groups, no capabilities, with setpriv as
 * DockerfileIT does) on a tasks dir holding a readable task and a root-owned file of mode 000. The unreadable
 * file becomes a Failed task whose message says "permission denied" and nothing of the file's content, in
 * the task API and in the agent's log.
 */
class UnreadableTaskFileIT {
  private static final int UID = 65532;
  private static final String SECRET = "top-secret-content-7f3a";

  @TempDir Path tmp;

  @Test
  void anUnreadableTaskFileIsAFailedTaskSayingPermissionDeniedAndNothingOfItsContent() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("run"));
    Path tasks = Files.createDirectories(home.resolve("tasks"));
    Path data = Files.createDirectories(home.resolve("data"));
    Path jar = home.resolve("nodepulse.jar");
    Files.copy(Path.of(System.getProperty("nodepulse.jar", "target/nodepulse.jar")).toAbsolutePath(), jar);
    Files.writeString(tasks.resolve("readable.yaml"), """
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: readable, namespace: default}
        spec:
          every: 1h
          target: {compute: {pi: {digits: 10}}}
        """);
    Path locked = Files.writeString(tasks.resolve("locked.yaml"), """
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: %s, namespace: default}
        spec: {every: 1h, target: {compute: {pi: {digits: 10}}}}
        """.formatted(SECRET));
    Files.setPosixFilePermissions(locked, Set.of());
    for (Path p : new Path[] {tmp, home, tasks}) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(tasks.resolve("readable.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.setAttribute(data, "unix:uid", UID);
    Files.setAttribute(data, "unix:gid", UID);

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder("setpriv", "--reuid", Integer.toString(UID), "--regid", Integer.toString(UID),
        "--clear-groups", "--inh-caps=-all", "env", "-i", "HOME=/nonexistent", "PATH=/usr/bin:/bin",
        java, "-Djava.io.tmpdir=" + data, "-jar", jar.toString(), "--http-port", "0", "--data-dir", data.toString(),
        "--tasks-dir", tasks.toString()).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try {
      int port = AgentOutput.awaitPort(p, out, 90);
      assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "status")))
          .as("the agent runs as uid %d", UID).containsPattern("(?m)^Uid:\\s+" + UID + "\\s+" + UID + "\\s");
      HttpClient http = HttpClient.newHttpClient();
      AtomicReference<String> body = new AtomicReference<>();
      Map<String, JsonObject> byName = new HashMap<>();
      Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .untilAsserted(() -> {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/tasks")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            body.set(r.body());
            JsonArray items = new JsonObject(r.body()).getJsonArray("items");
            byName.clear();
            for (int i = 0; i < items.size(); i++) {
              JsonObject t = items.getJsonObject(i);
              byName.put(t.getJsonObject("metadata").getString("name"), t);
            }
            assertThat(byName).containsKeys("readable", "locked");
          });
      JsonObject status = byName.get("locked").getJsonObject("status");
      assertThat(status.getString("phase")).isEqualTo("Failed");
      assertThat(status.encode()).contains("file locked.yaml: permission denied");
      assertThat(byName.get("readable").getJsonObject("status").getString("phase")).isNotEqualTo("Failed");
      assertThat(body.get()).doesNotContain(SECRET);
      synchronized (out) {
        assertThat(out.toString()).doesNotContain(SECRET);
      }
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}

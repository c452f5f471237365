package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * No container engine runs here, so the image is checked by what can run: the Dockerfile's own
 * ENTRYPOINT, ENV and USER, as that user, in a private mount namespace whose root is read-only and
 * where only the data dir and /tmp are writable (as the chart mounts them).
 */
class DockerfileIT {
  @Test
  void theImagesCommandLineRunsAsNonRootOnAReadOnlyRoot() throws Exception {
    String docker = Files.readString(Path.of("Dockerfile")).replaceAll("\\\\\\n\\s*", " ");
    String finalStage = docker.substring(docker.lastIndexOf("\nFROM "));
    List<String> entrypoint = jsonArray(last(finalStage, "(?m)^ENTRYPOINT\\s+(\\[.*])$"));
    String[] user = last(finalStage, "(?m)^USER\\s+(\\S+)$").split(":");
    assertThat(Integer.parseInt(user[0])).as("USER is not root").isPositive();
    List<String> env = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^ENV\\s+(.+)$").matcher(finalStage);
    while (m.find()) {
      env.addAll(List.of(m.group(1).trim().split("\\s+")));
    }
    assertThat(env).contains("NODEPULSE_DATA_DIR=/var/lib/nodepulse");

    // the image's own paths: its jar copied to /opt/nodepulse, fresh writable /var/lib/nodepulse and /tmp
    // (emptyDirs in the chart), all on tmpfs in a private mount namespace, then the root made read-only.
    // Only java is this machine's (java.home must be readable by the image's user, as /usr/lib/jvm is).
    List<String> cmd = new ArrayList<>(entrypoint);
    assertThat(cmd.get(0)).isEqualTo("java");
    assertThat(cmd).contains("/opt/nodepulse/nodepulse.jar", "-Djava.io.tmpdir=/tmp");
    cmd.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    env.addAll(List.of("NODEPULSE_HTTP_PORT=0", "HOME=/nonexistent", "PATH=/usr/bin:/bin"));
    Path jar = Path.of(System.getProperty("nodepulse.jar", "target/nodepulse.jar")).toAbsolutePath();
    String owner = user[0] + ":" + user[1];

    String script = "set -e"
        + "; mount -t tmpfs -o mode=0755 tmpfs /opt"
        + "; mkdir /opt/nodepulse; cp '" + jar + "' /opt/nodepulse/nodepulse.jar; chmod 0644 /opt/nodepulse/nodepulse.jar"
        + "; mount -t tmpfs -o mode=0755 tmpfs /var/lib"
        + "; mkdir /var/lib/nodepulse; chown " + owner + " /var/lib/nodepulse"
        + "; mount -t tmpfs -o mode=1777 tmpfs /tmp"
        + "; mount -o remount,bind,ro /"
        + "; exec setpriv --reuid " + user[0] + " --regid " + user[1] + " --clear-groups --inh-caps=-all"
        + " env -i " + String.join(" ", env) + " " + String.join(" ", cmd);
    Process p = new ProcessBuilder("unshare", "--mount", "sh", "-c", script).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try {
      int port = MainIT.awaitPort(p, out);
      HttpClient http = HttpClient.newHttpClient();
      AtomicReference<String> ready = new AtomicReference<>();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        ready.set(r.body());
        return r.statusCode() == 200;
      });
      // the sampler's history store opened in the data dir: nothing else needed a writable disk
      assertThat(ready.get()).contains("\"sampler\":{\"state\":\"up\"");
      assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("exit code; output:\n" + out).isZero();
      synchronized (out) {
        assertThat(out.toString()).doesNotContain("Read-only file system").doesNotContain("ERROR");
      }
    } finally {
      p.destroyForcibly();
    }
  }

  private static String last(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    String found = null;
    while (m.find()) {
      found = m.group(1);
    }
    assertThat(found).as("Dockerfile has " + regex).isNotNull();
    return found;
  }

  private static List<String> jsonArray(String json) {
    return new io.vertx.core.json.JsonArray(json).stream().map(Object::toString).toList();
  }
}

package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as a user runs it: flags, start-up line, SIGTERM. */
class MainIT {
  private static final Pattern SERVING = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/");

  @TempDir Path tmp;

  static Process startJar(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar")));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** Reads the agent's output until it logs its port; keeps draining it in the background. */
  static int awaitPort(Process p, StringBuilder out) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          Matcher m = SERVING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
        port.completeExceptionally(new AssertionError("agent exited before serving:\n" + out));
      } catch (IOException e) {
        port.completeExceptionally(e);
      }
    });
    return port.get(60, TimeUnit.SECONDS);
  }

  @Test
  void sigtermStopsCleanlyWithExitCodeZeroAndClosesThePort() throws Exception {
    Process p = startJar("--http-port", "0", "--data-dir", tmp.resolve("data").toString());
    StringBuilder out = new StringBuilder();
    try {
      int port = awaitPort(p, out);
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);

      // SIGTERM by kill(1): Process.destroy() would also close our end of the agent's output
      assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
      assertThat(p.exitValue()).as("exit code; output:\n" + out).isZero();
      assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
        synchronized (out) {
          assertThat(out.toString()).contains("stopping").contains("stopped");
        }
      });
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aBadOptionStopsTheAgentWithOneLineNamingIt() throws Exception {
    Process p = startJar("--history", "forever", "--data-dir", tmp.toString());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(out.lines()).hasSize(1);
    assertThat(out).contains("--history").contains("NODEPULSE_HISTORY").contains("'forever' is not a duration");
  }

  @Test
  void helpExitsZeroAndListsOptions() throws Exception {
    Process p = startJar("--help");
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isZero();
    assertThat(out).contains("--sample-interval").contains("NODEPULSE_DATA_DIR");
  }
}

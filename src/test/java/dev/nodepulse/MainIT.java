package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as a user runs it: flags, start-up line, SIGTERM. */
class MainIT {

  @TempDir Path tmp;

  static Process startJar(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar")));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  @Test
  void sigtermStopsCleanlyWithExitCodeZeroAndClosesThePort() throws Exception {
    Process p = startJar("--http-port", "0", "--data-dir", tmp.resolve("data").toString());
    StringBuilder out = new StringBuilder();
    try {
      int port = AgentOutput.awaitPort(p, out, 60);
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
      // ready means the sampler has its first sample; the history batch (every 5 s) has not been written yet
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .until(() -> http.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      long killedAt = System.currentTimeMillis();
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
      // the last samples were written on the way out
      try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + tmp.resolve("data/history.db"));
          var st = db.createStatement();
          var rs = st.executeQuery("SELECT count(*), max(t) FROM points WHERE cpu IS NOT NULL")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(1);
        assertThat(rs.getLong(2)).isGreaterThan(killedAt - 2000);
      }
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

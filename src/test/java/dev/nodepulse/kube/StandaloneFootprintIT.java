package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standalone agent never loads a fabric8 class (footprint): the packaged jar, with the JVM's class-load log. */
class StandaloneFootprintIT {
  private static final Pattern SERVING = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/");

  @TempDir Path tmp;

  @Test
  void aStandaloneAgentLoadsNoFabric8Class() throws Exception {
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info", "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"),
        "--mode", "standalone", "--http-port", "0", "--data-dir", tmp.toString()))
        .redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          Matcher m = SERVING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
        port.completeExceptionally(new AssertionError("exited before serving"));
      } catch (Exception e) {
        port.completeExceptionally(e);
      }
    });
    try {
      int httpPort = port.get(90, TimeUnit.SECONDS);
      // exercise the task API too: the paths a standalone user takes
      HttpResponse<String> tasks = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + httpPort + "/api/v1/tasks")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(tasks.statusCode()).isEqualTo(200);
      String log;
      synchronized (out) {
        log = out.toString();
      }
      assertThat(log).as("the class-load log is on").contains("dev.nodepulse.Agent source:");
      assertThat(log).doesNotContain("io.fabric8.").doesNotContain("dev.nodepulse.kube.");
    } finally {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}

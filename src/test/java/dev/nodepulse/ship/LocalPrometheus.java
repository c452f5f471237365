package dev.nodepulse.ship;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** A real Prometheus for a test: started on 127.0.0.1 with a config, asked through its HTTP API, stopped. */
final class LocalPrometheus implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final Process process;
  private final int port;
  private final StringBuilder output = new StringBuilder();

  private LocalPrometheus(Path binary, Path dir, String config) throws IOException {
    port = freePort();
    Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config);
    process = new ProcessBuilder(binary.toString(), "--config.file=" + configFile,
        "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).start();
    drain(process, output);
  }

  /** Starts {@code binary} on {@code config} (written to {@code dir}) and waits until it is ready. */
  static LocalPrometheus start(Path binary, Path dir, String config) throws IOException {
    LocalPrometheus p = new LocalPrometheus(binary, dir, config);
    Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> p.get("/-/ready").statusCode() == 200);
    return p;
  }

  HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  String output() {
    synchronized (output) {
      return output.toString();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop(process);
  }

  /** Stops a process of the test: SIGTERM, then SIGKILL after 20 s. */
  static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Appends the process's output to {@code out} on a daemon thread until it ends. */
  static void drain(Process p, StringBuilder out) {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Thread.ofPlatform().daemon().start(() -> {
      try {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
    });
  }
}

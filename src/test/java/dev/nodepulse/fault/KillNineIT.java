package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 the packaged agent at random points while one-shot tasks of every target kind run (http to an
 * in-test server, tcp to an in-test listener, a FIFO read by the test, pi), restart it on the same data dir,
 * many times; then count what each target received against each task's status. The guarantee
 * (docs/tasks.md): a one-shot runs at most once; a run cut by a crash ends FAILED saying so. A double is a
 * target reached twice (or a status with two runs); a loss is a task reported SUCCEEDED whose target got
 * nothing, or a task left without an outcome. Loopback only; bounded; stops by itself.
 */
class KillNineIT {
  private static final int CYCLES = 10;
  private static final int PER_KIND = 2;
  private static final List<String> KINDS = List.of("http", "tcp", "pipe", "compute");
  private static final String END = "end-of-test";

  @TempDir Path tmp;
  private final Map<String, Integer> received = new ConcurrentHashMap<>();

  private void count(String name) {
    received.merge(name.strip(), 1, Integer::sum);
  }

  private static String taskYaml(String name, String kind, int httpPort, int tcpPort) {
    String target = switch (kind) {
      case "http" -> "http: {url: \"http://127.0.0.1:" + httpPort + "/" + name + "\", method: POST, timeout: 5s}";
      case "tcp" -> "tcp: {address: \"127.0.0.1:" + tcpPort + "\", payload: \"" + name + "\\n\", timeout: 5s}";
      case "pipe" -> "pipe: {name: fault, data: \"" + name + "\\n\", timeout: 5s}";
      default -> "compute: {pi: {digits: 3000}}";
    };
    return "metadata: {name: " + name + "}\nspec:\n  delay: 0s\n  target:\n    " + target + "\n";
  }

  private static JsonArray tasks(HttpClient http, int port) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/tasks"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    return new JsonObject(r.body()).getJsonArray("items");
  }

  @Test
  void killedAtRandomPointsNothingIsDoubledOrLost() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path tasksDir = Files.createDirectories(tmp.resolve("tasks"));
    Path pipes = Files.createDirectories(tmp.resolve("pipes"));
    Path staging = Files.createDirectories(tmp.resolve("staging"));
    Path fifo = pipes.resolve("fault");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    AtomicBoolean running = new AtomicBoolean(true);

    // http: a slow-ish target, so kills land between its receipt and the run's record
    HttpServer httpServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
    httpServer.setExecutor(Executors.newCachedThreadPool());
    httpServer.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      count(ex.getRequestURI().getPath().substring(1));
      try {
        Thread.sleep(200); // the target's own latency
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    httpServer.start();
    ServerSocket tcp = new ServerSocket(0, 100, java.net.InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().start(() -> {
      while (running.get()) {
        try (Socket s = tcp.accept()) {
          s.setSoTimeout(10_000);
          String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
          if (line != null) {
            count(line);
          }
        } catch (IOException e) {
          // a connection cut by the kill: nothing was received on it
        }
      }
    });
    // the FIFO is held open read-write for the whole test, as a reader that must not miss a write does: a reader
    // that closes at each end of file and opens again loses a write that lands between its end of file and its
    // close (the kernel drops what a pipe holds when its last reader closes), though the writer saw a reader
    FileChannel held = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
    Thread pipeReader = Thread.ofPlatform().daemon().start(() -> {
      BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(held), StandardCharsets.UTF_8));
      try {
        for (String line; (line = r.readLine()) != null && !line.equals(END); ) {
          if (!line.isEmpty()) {
            count(line);
          }
        }
      } catch (IOException e) {
        // the channel was closed: the test is over
      }
    });

    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    List<String> names = new ArrayList<>();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    String[] args = {"--http-port", "0", "--data-dir", data.toString(), "--tasks-dir", tasksDir.toString(),
        "--pipe-dir", pipes.toString()};
    int kills = 0;
    try {
      for (int cycle = 1; cycle <= CYCLES; cycle++) {
        try (AgentProcess agent = AgentProcess.start(0, args)) {
          for (String kind : KINDS) {
            for (int i = 0; i < PER_KIND; i++) {
              String name = "c" + cycle + "-" + kind + "-" + i;
              names.add(name);
              Path staged = Files.writeString(staging.resolve(name + ".yaml"),
                  taskYaml(name, kind, httpServer.getAddress().getPort(), tcp.getLocalPort()));
              Files.move(staged, tasksDir.resolve(name + ".yaml"), StandardCopyOption.ATOMIC_MOVE);
            }
          }
          Thread.sleep(500 + random.nextInt(3000)); // the crash's moment: anywhere in the scan, the runs, the writes
          agent.kill9();
          kills++;
        }
      }
      // a last start lets every task settle
      try (AgentProcess agent = AgentProcess.start(0, args)) {
        Map<String, JsonObject> byName = new java.util.HashMap<>();
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
            .ignoreExceptions().until(() -> {
              byName.clear();
              JsonArray items = tasks(client, agent.port);
              for (int i = 0; i < items.size(); i++) {
                JsonObject t = items.getJsonObject(i);
                byName.put(t.getJsonObject("metadata").getString("name"), t.getJsonObject("status", new JsonObject()));
              }
              return names.stream().allMatch(n -> byName.containsKey(n)
                  && List.of("Succeeded", "Failed").contains(byName.get(n).getString("phase")));
            });
        int runs = 0;
        int succeeded = 0;
        int interrupted = 0;
        int interruptedButDelivered = 0;
        List<String> doubles = new ArrayList<>();
        List<String> losses = new ArrayList<>();
        Map<String, Integer> whyFailed = new java.util.TreeMap<>();
        for (String n : names) {
          JsonObject status = byName.get(n);
          int got = received.getOrDefault(n, 0);
          int statusRuns = status.getInteger("runs", 0);
          boolean ok = "Succeeded".equals(status.getString("phase"));
          boolean external = !n.contains("-compute-");
          runs += statusRuns;
          succeeded += ok ? 1 : 0;
          if (!ok) {
            String error = String.valueOf(status.getJsonObject("lastRun", new JsonObject()).getString("error"))
                .replaceAll("[0-9]+", "N");
            whyFailed.merge(n.replaceAll("^c\\d+-|-\\d+$", "") + ": " + error.substring(0, Math.min(90, error.length())),
                1, Integer::sum);
          }
          interrupted += ok ? 0 : 1;
          interruptedButDelivered += !ok && external && got == 1 ? 1 : 0;
          if ((external && got > 1) || statusRuns > 1) {
            doubles.add(n + " (received " + got + ", runs " + statusRuns + ")");
          }
          if (ok && external && got == 0) {
            losses.add(n + " (Succeeded, received nothing)");
          }
        }
        System.out.printf("kill -9 fault run (seed %d): cycles %d, kills %d, tasks %d, runs %d, succeeded %d,"
            + " failed/interrupted %d (of which the target had received %d), doubles %d, losses %d%n", seed, CYCLES,
            kills, names.size(), runs, succeeded, interrupted, interruptedButDelivered, doubles.size(), losses.size());
        whyFailed.forEach((why, n) -> System.out.println("  failed " + n + "x " + why));
        doubles.forEach(d -> System.out.println("  double: " + d));
        losses.forEach(l -> System.out.println("  loss: " + l));
        assertThat(doubles).as("doubles (at most once)").isEmpty();
        assertThat(losses).as("losses").isEmpty();
      }
    } finally {
      running.set(false);
      httpServer.stop(0);
      tcp.close();
      Files.writeString(fifo, "\n" + END + "\n", StandardOpenOption.APPEND); // a reader holds it: never blocks
      pipeReader.join(TimeUnit.SECONDS.toMillis(10));
      held.close();
    }
  }
}

package dev.nodepulse.live;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live-page benchmark: the packaged agent as a child process, N raw bridge clients on
 * {@code /live/websocket} registered to the samples (1 Hz). Prints the delay from each sample's
 * {@code t} to its receipt by a client (p50, p99, max), missed samples, and the agent's CPU and
 * memory with no clients and with N. Usage: {@code LiveBench [clients] [seconds] [idleSeconds]}.
 */
public final class LiveBench {
  private LiveBench() {}

  public static void main(String[] args) throws Exception {
    int clients = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int idleSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    Path jar = Path.of(System.getProperty("nodepulse.jar", "target/nodepulse.jar"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path dataDir = Files.createTempDirectory("nodepulse-bench");
    Path log = dataDir.resolve("agent.log");
    Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(),
        "--http-port", String.valueOf(port), "--data-dir", dataDir.toString(), "--log-level", "warn",
        // the agent's connection cap (512 by default) is above what a page's users open; N clients need N
        "--http-max-connections", String.valueOf(clients + 64))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Vertx vertx = Vertx.vertx();
    try {
      waitUntilUp(port, agent, log);
      System.out.printf("machine: %s, %d CPUs, %s; %s%n", cpuModel(), Runtime.getRuntime().availableProcessors(),
          memTotal(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
      System.out.printf("date: %s; agent pid %d on 127.0.0.1:%d%n", Instant.now(), agent.pid(), port);

      Usage idle = measure(agent, idleSeconds);
      System.out.printf("no clients, %d s: agent CPU %.1f%% of one core, RSS %s (max %s)%n",
          idleSeconds, idle.cpuPercent, mib(idle.rssLast), mib(idle.rssMax));

      AtomicBoolean recording = new AtomicBoolean();
      ConcurrentLinkedQueue<Long> delays = new ConcurrentLinkedQueue<>();
      LongAdder received = new LongAdder();
      AtomicInteger ready = new AtomicInteger();
      WebSocketClient wsc = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(clients * 2));
      List<WebSocket> sockets = new ArrayList<>();
      long connectStart = System.nanoTime();
      for (int i = 0; i < clients; i++) {
        WebSocket ws = wsc.connect(port, "127.0.0.1", "/live/websocket").await(30, TimeUnit.SECONDS);
        AtomicBoolean first = new AtomicBoolean(true);
        ws.binaryMessageHandler(buf -> {
          long now = System.currentTimeMillis();
          JsonObject frame = buf.toJsonObject();
          if (!"rec".equals(frame.getString("type"))) {
            return;
          }
          if (first.compareAndSet(true, false)) {
            ready.incrementAndGet();
          }
          if (recording.get()) {
            delays.add(now - frame.getJsonObject("body").getLong("t"));
            received.increment();
          }
        });
        ws.writeTextMessage("{\"type\":\"register\",\"address\":\"nodepulse.sampler.sample\"}");
        long ping = vertx.setPeriodic(5000, id -> ws.writeTextMessage("{\"type\":\"ping\"}"));
        ws.closeHandler(v -> vertx.cancelTimer(ping));
        sockets.add(ws);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (ready.get() < clients && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      System.out.printf("%d clients connected and registered in %.1f s (%d have had a sample)%n",
          clients, (System.nanoTime() - connectStart) / 1e9, ready.get());

      recording.set(true);
      Usage loaded = measure(agent, seconds);
      recording.set(false);
      long[] d = delays.stream().mapToLong(Long::longValue).sorted().toArray();
      long expected = (long) clients * seconds;
      System.out.printf("%d clients, %d s: %d samples received (%.1f%% of %d clients x %d s)%n",
          clients, seconds, received.sum(), 100.0 * received.sum() / expected, clients, seconds);
      System.out.printf("delay sample t -> client: p50 %d ms, p99 %d ms, max %d ms%n",
          pct(d, 0.50), pct(d, 0.99), d.length == 0 ? -1 : d[d.length - 1]);
      System.out.printf("agent with clients: CPU %.1f%% of one core, RSS %s (max %s)%n",
          loaded.cpuPercent, mib(loaded.rssLast), mib(loaded.rssMax));
      sockets.forEach(WebSocket::close);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      agent.destroy();
      agent.waitFor(20, TimeUnit.SECONDS);
    }
  }

  private record Usage(double cpuPercent, long rssLast, long rssMax) {}

  /** Agent CPU over the period (percent of one core) and its resident memory, read each second. */
  private static Usage measure(Process agent, int seconds) throws Exception {
    Duration cpu0 = agent.info().totalCpuDuration().orElseThrow();
    long t0 = System.nanoTime();
    long rss = 0;
    long rssMax = 0;
    for (int i = 0; i < seconds; i++) {
      Thread.sleep(1000);
      rss = rss(agent.pid());
      rssMax = Math.max(rssMax, rss);
    }
    Duration cpu1 = agent.info().totalCpuDuration().orElseThrow();
    double wall = (System.nanoTime() - t0) / 1e9;
    return new Usage(100.0 * cpu1.minus(cpu0).toNanos() / 1e9 / wall, rss, rssMax);
  }

  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static long pct(long[] sorted, double q) {
    return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static String mib(long bytes) {
    return String.format("%.0f MiB", bytes / 1048576.0);
  }

  private static String cpuModel() throws IOException {
    return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
        .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
  }

  private static String memTotal() throws IOException {
    return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
        .findFirst().map(l -> mib(Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024) + " RAM").orElse("?");
  }

  private static void waitUntilUp(int port, Process agent, Path log) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!agent.isAlive()) {
        throw new IllegalStateException("agent exited: " + Files.readString(log));
      }
      try {
        int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/live/info")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200) {
          Thread.sleep(2000); // let the sampler take its first samples
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("agent did not come up on port " + port + ": " + Arrays.toString(Files.readAllLines(log).toArray()));
  }
}

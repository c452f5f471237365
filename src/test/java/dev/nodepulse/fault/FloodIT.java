package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client that sends and never reads, against the packaged agent on the launcher's own JVM options (a 64 MiB
 * heap): HTTP/1.1 requests pipelined on one connection, and bridge frames the SockJS bridge refuses on one
 * WebSocket. During the attack the agent's heap (its own {@code jvm_memory_used_bytes}) and RSS are read every half
 * second, and the agent must keep answering; afterwards it must still take a task ({@code POST /api/v1/tasks}
 * answers 201), answer {@code /api/v1/cpu} and be ready. Loopback only; each flood is bounded in count and time.
 */
class FloodIT {
  /** How long one attacker sends at most. */
  private static final Duration ATTACK = Duration.ofSeconds(20);
  /** Heap in use (garbage included) the agent may reach during a flood: well under its 64 MiB. */
  private static final long MAX_HEAP = 40L << 20;
  /** RSS the agent may gain during a flood. */
  private static final long MAX_RSS_GROWTH = 40L << 20;

  @TempDir Path tmp;

  /** The launcher's JVM options: its argument file (and JDK25_OPTS on JDK 25 or newer), as the launcher passes them. */
  static List<String> leanOptions() throws IOException {
    List<String> options = new ArrayList<>();
    options.add("@" + Path.of("src/main/jvm/jvm.options").toAbsolutePath());
    if (Runtime.version().feature() >= 25) {
      Matcher m = Pattern.compile("(?ms)^JDK25_OPTS=\\((.*?)\\)").matcher(Files.readString(Path.of("nodepulse")));
      assertThat(m.find()).as("the launcher defines JDK25_OPTS").isTrue();
      options.addAll(List.of(m.group(1).trim().split("\\s+")));
    }
    assertThat(Files.readAllLines(Path.of("src/main/jvm/jvm.options"))).contains("-Xmx64m");
    return options;
  }

  /** The agent's resident set, from /proc. */
  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for " + pid);
  }

  /** Reads heap (from the agent's /metrics, on a connection of its own) and RSS every half second while it runs. */
  private static final class Watch implements AutoCloseable {
    final AtomicLong maxHeap = new AtomicLong();
    final AtomicLong maxRss = new AtomicLong();
    final long rssBefore;
    final List<String> unanswered = new CopyOnWriteArrayList<>();
    final AtomicLong reads = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Watch(AgentProcess agent, HttpClient http) throws IOException {
      rssBefore = rss(agent.process.pid());
      thread = Thread.ofPlatform().daemon().start(() -> {
        while (running.get()) {
          long start = System.nanoTime();
          try {
            maxRss.accumulateAndGet(rss(agent.process.pid()), Math::max);
            HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher heap = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"} (\\S+)$").matcher(m.body());
            if (m.statusCode() != 200 || !heap.find()) {
              unanswered.add("/metrics answered " + m.statusCode());
            } else {
              maxHeap.accumulateAndGet((long) Double.parseDouble(heap.group(1)), Math::max);
              reads.incrementAndGet();
            }
          } catch (IOException e) {
            unanswered.add("/metrics: " + e);
          } catch (InterruptedException e) {
            return;
          }
          long rest = 500 - (System.nanoTime() - start) / 1_000_000;
          if (rest > 0) {
            try {
              Thread.sleep(rest); // the watcher's pace, not a window anything waits for
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      });
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
    }

    /** Stops watching, prints what it saw after {@code what}, and asserts that the agent stayed bounded and answering. */
    void bounded(String what) throws InterruptedException {
      close();
      System.out.printf("%s; heap at most %.1f MiB, RSS %.1f -> at most %.1f MiB, %d heap reads answered, %d not%n", what,
          maxHeap.get() / 1048576.0, rssBefore / 1048576.0, maxRss.get() / 1048576.0, reads.get(), unanswered.size());
      assertThat(unanswered).as("the agent's answers to others during the flood").isEmpty();
      assertThat(maxHeap.get()).as("heap in use during the flood").isLessThan(MAX_HEAP);
      assertThat(maxRss.get() - rssBefore).as("RSS growth during the flood").isLessThan(MAX_RSS_GROWTH);
    }
  }

  /**
   * Writes {@code batch} again and again on {@code c} (never reading) until {@code frames} are sent in all, {@code end}
   * (nanoTime) has come, or the agent closes the connection; returns whether the agent closed it.
   */
  private static boolean flood(SocketChannel c, byte[] batch, int perBatch, long frames, AtomicLong sent, long end)
      throws Exception {
    c.configureBlocking(false);
    ByteBuffer buf = ByteBuffer.wrap(batch);
    while (System.nanoTime() < end && sent.get() < frames) {
      int n;
      try {
        n = c.write(buf);
      } catch (IOException closed) {
        return true;
      }
      if (!buf.hasRemaining()) {
        sent.addAndGet(perBatch);
        buf.rewind();
      } else if (n == 0) {
        Thread.sleep(5); // the socket's buffers are full: the agent is not reading
      }
    }
    return false;
  }

  private static SocketChannel attacker(int port) throws IOException {
    SocketChannel c = SocketChannel.open();
    c.setOption(StandardSocketOptions.SO_RCVBUF, 4096); // the attacker reads nothing: keep its side small
    c.connect(new InetSocketAddress("127.0.0.1", port));
    return c;
  }

  /** The agent still works after the attacker left: takes a task, answers the API, is ready. */
  private static void stillServes(AgentProcess agent, HttpClient http, String taskName) throws Exception {
    String base = "http://127.0.0.1:" + agent.port;
    Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tasks"))
          .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
              .put("metadata", new JsonObject().put("name", taskName))
              .put("spec", new JsonObject().put("delay", "1h")
                  .put("target", new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 10)))))
              .encode())).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).as("POST /api/v1/tasks: " + post.body()).isEqualTo(201);
    });
    HttpResponse<String> cpu = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/cpu"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(cpu.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(cpu.body()).getValue("percent")).isNotNull();
    Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(http.send(
        HttpRequest.newBuilder(URI.create(base + "/readyz")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200));
    assertThat(agent.output()).doesNotContain("OutOfMemoryError").doesNotContain("HttpClosedException");
  }

  private AgentProcess leanAgent() throws Exception {
    return AgentProcess.start(0, leanOptions(), "--http-port", "0", "--data-dir", tmp.resolve("data").toString());
  }

  private static HttpClient http() {
    return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  private static void awaitServing(AgentProcess agent, HttpClient http) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port + "/api/v1/cpu")).timeout(Duration.ofSeconds(10))
            .build(), HttpResponse.BodyHandlers.ofString()).body().contains("percent"));
  }

  /**
   * GETs pipelined on one HTTP/1.1 connection (the small /api/v1/cpu and the larger /metrics by turns), at most
   * 1,000,000 or 20 s, none of the answers read, coming back on a new connection each time it is closed (at most 50):
   * the agent stops reading from each connection and closes it; its
   * heap and RSS stay bounded and it answers everyone else throughout.
   */
  @Test
  void pipelinedRequestsWhoseAnswersAreNeverReadCannotExhaustTheHeap() throws Exception {
    HttpClient http = http();
    try (AgentProcess agent = leanAgent()) {
      awaitServing(agent, http);
      String one = "GET /api/v1/cpu HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      byte[] batch = one.repeat(50).getBytes(StandardCharsets.US_ASCII);
      AtomicLong sent = new AtomicLong();
      boolean closed;
      int attacks = 0;
      int closures = 0;
      try (Watch watch = new Watch(agent, http)) {
        // the attacker comes back each time it is closed, until the attack's time is up (at most 50 times)
        long end = System.nanoTime() + ATTACK.toNanos();
        do {
          try (SocketChannel c = attacker(agent.port)) {
            closed = flood(c, batch, 100, 1_000_000, sent, end);
          }
          attacks++;
          closures += closed ? 1 : 0;
        } while (closed && System.nanoTime() < end && attacks < 50);
        watch.bounded("pipelining flood: " + sent.get() + " requests sent on " + attacks + " connections, " + closures
            + " closed by the agent");
      }
      assertThat(closures).as("connections the agent closed because they never read its answers").isPositive();
      stillServes(agent, http, "after-pipelining");
    }
  }

  /**
   * One WebSocket on the bridge's raw transport ({@code /live/websocket}) sends {@code publish} frames, which the
   * bridge refuses (nothing is permitted inbound), at most 1,000,000 or 20 s, and never reads the refusals, coming back
   * on a new WebSocket each time it is closed (at most 50): the
   * agent stops reading from it and closes it; heap and RSS stay bounded, and everyone else is answered.
   */
  @Test
  void refusedBridgeFramesWhoseAnswersAreNeverReadCannotExhaustTheHeap() throws Exception {
    HttpClient http = http();
    try (AgentProcess agent = leanAgent()) {
      awaitServing(agent, http);
      byte[] frame = maskedText("{\"type\":\"publish\",\"address\":\"nodepulse.sampler.sample\",\"body\":{\"x\":1}}");
      ByteBuffer frames = ByteBuffer.allocate(frame.length * 1000);
      for (int i = 0; i < 1000; i++) {
        frames.put(frame);
      }
      AtomicLong sent = new AtomicLong();
      boolean closed;
      int attacks = 0;
      int closures = 0;
      try (Watch watch = new Watch(agent, http)) {
        // the attacker comes back each time it is closed, until the attack's time is up (at most 50 times)
        long end = System.nanoTime() + ATTACK.toNanos();
        do {
          try (SocketChannel c = attacker(agent.port)) {
            upgrade(c, agent.port);
            closed = flood(c, frames.array(), 1000, 1_000_000, sent, end);
          }
          attacks++;
          closures += closed ? 1 : 0;
        } while (closed && System.nanoTime() < end && attacks < 50);
        watch.bounded("bridge flood: " + sent.get() + " publish frames sent on " + attacks + " connections, " + closures
            + " closed by the agent");
      }
      assertThat(closures).as("WebSockets the agent closed because they never read its answers").isPositive();
      stillServes(agent, http, "after-bridge-flood");
    }
  }

  /** The WebSocket handshake on {@code c}, reading the 101 and nothing after it. */
  private static void upgrade(SocketChannel c, int port) throws IOException {
    c.write(ByteBuffer.wrap(("GET /live/websocket HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII)));
    c.socket().setSoTimeout(10_000);
    StringBuilder head = new StringBuilder();
    var in = c.socket().getInputStream();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("the handshake's answer: " + head).isNotNegative();
      head.append((char) b);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 101");
    c.configureBlocking(false);
  }

  /** One masked client text frame (payload under 126 bytes). */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    assertThat(payload.length).isLessThan(126);
    byte[] mask = {0x12, 0x34, 0x56, 0x78};
    byte[] frame = new byte[2 + 4 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }
}

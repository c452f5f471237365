package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.UnixOperatingSystemMXBean;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of idle and slowloris connections (more than the agent's open-file limit, which the test sets
 * to 1024 for the child), opened at 300 a second and opened again whenever the agent closes one, while a client reads /api/v1/cpu once a second on a fresh connection: every read is
 * answered and the sampler misses no sample. Loopback only; bounded in count and time; stops by itself.
 */
class ConnectionFloodIT {
  private static final int AGENT_FILE_LIMIT = 1024;
  private static final int IDLE = 1500;
  private static final int SLOW = 1500;
  private static final int READS = 25;
  /**
   * Connections the flood opens per second (new, or again after the agent closed them): they pile up as in the
   * reported case (idle sockets accumulating to the open-file limit). A burst of thousands within a
   * moment is another matter: the acceptor thread can outpace the event loop that closes (see the report).
   */
  private static final int REOPEN_PER_ROUND = 300;

  @TempDir Path tmp;

  private static String get(int port, String path) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      s.getInputStream().transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      if (!text.startsWith("HTTP/1.1 200")) {
        throw new IOException("not answered 200: " + text.lines().findFirst().orElse("(nothing)"));
      }
      return text.substring(text.indexOf("\r\n\r\n") + 4);
    }
  }

  /** A flood connection; slow ones have sent part of a request's headers and add one byte per round. */
  private static SocketChannel open(int port, boolean slow) throws IOException {
    SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    c.configureBlocking(false);
    if (slow) {
      c.write(ByteBuffer.wrap(("GET /api/v1/cpu HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII)));
    }
    return c;
  }

  @Test
  void idleAndSlowFloodsNeitherStarveTheApiNorTheSampler() throws Exception {
    long ownLimit = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
    Assumptions.assumeTrue(ownLimit > IDLE + SLOW + 500,
        "the test JVM needs more than " + (IDLE + SLOW + 500) + " open files for the flood; its limit is " + ownLimit);
    try (AgentProcess agent = AgentProcess.start(AGENT_FILE_LIMIT, "--http-port", "0",
        "--data-dir", tmp.resolve("data").toString())) {
      int port = agent.port;
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> get(port, "/api/v1/cpu").contains("percent"));

      List<SocketChannel> flood = new ArrayList<>();
      List<Boolean> slow = new ArrayList<>();
      int opened = 0;
      int closedByAgent = 0;
      long floodStart = System.currentTimeMillis();
      try {
        for (int i = 0; i < IDLE + SLOW; i++) {
          flood.add(null); // opened below, REOPEN_PER_ROUND a second, as connections pile up over time
          slow.add(i % 2 == 1);
        }
        int answered = 0;
        List<String> failures = new ArrayList<>();
        ByteBuffer sink = ByteBuffer.allocate(4096);
        for (int round = 0; round < READS; round++) {
          long roundStart = System.nanoTime();
          try {
            assertThat(new JsonObject(get(port, "/api/v1/cpu")).getValue("percent")).isNotNull();
            answered++;
          } catch (IOException e) {
            failures.add("read " + round + ": " + e.getMessage());
          }
          // keep the flood up: slow ones trickle a byte; the ones the agent closed are opened again (bounded)
          int reopened = 0;
          for (int i = 0; i < flood.size(); i++) {
            SocketChannel c = flood.get(i);
            boolean gone = false;
            if (c != null && c.isOpen()) {
              try {
                sink.clear();
                gone = c.read(sink) < 0;
                if (!gone && slow.get(i)) {
                  c.write(ByteBuffer.wrap(new byte[] {'x'}));
                }
              } catch (IOException e) {
                gone = true;
              }
            }
            if (gone) {
              c.close();
              closedByAgent++;
            }
            if ((c == null || !c.isOpen()) && reopened < REOPEN_PER_ROUND) {
              flood.set(i, open(port, slow.get(i)));
              reopened++;
              opened++;
            }
          }
          long restMs = 1000 - (System.nanoTime() - roundStart) / 1_000_000;
          if (restMs > 0) {
            Thread.sleep(restMs); // the client's pace: one read a second
          }
        }
        long floodEnd = System.currentTimeMillis();
        agent.output().lines().filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("history"))
            .limit(20).forEach(l -> System.out.println("  agent: " + l));
        System.out.printf("connection flood from %d to %d: %d connections opened (%d idle + %d slow at a time), %d closed by the"
            + " agent, %d of %d reads answered over %d s%n", floodStart, floodEnd, opened, IDLE, SLOW, closedByAgent, answered, READS,
            (floodEnd - floodStart) / 1000);
        assertThat(failures).as("reads not answered").isEmpty();
        assertThat(closedByAgent).as("the agent closed idle and slow connections").isPositive();

        // no sample missed: one history point a second through the flood, none of them a gap
        List<JsonObject> during = samplesWithoutGaps(port, floodStart, floodEnd, "the flood");
        for (int i = 1; i < during.size(); i++) {
          assertThat(during.get(i).getLong("t") - during.get(i - 1).getLong("t")).as("time between samples")
              .isLessThan(2500);
        }
        assertThat(agent.output()).doesNotContain("Too many open files");
      } finally {
        for (SocketChannel c : flood) {
          if (c != null) {
            c.close();
          }
        }
      }
    }
  }

  /**
   * Bursts of 3,000 connections each, opened as fast as the test can (far more than the agent's 1,024 open
   * files, in one instant: the kernel completes them all into the listen backlog before the agent has closed
   * any), one burst every few seconds while a client reads /api/v1/cpu once a second: the agent pauses
   * accepting near its cap instead of running out of files, so every read is answered, the sampler misses no
   * sample and nothing says "Too many open files".
   */
  @Test
  void burstsOfThousandsInOneInstantLeaveTheAgentServing() throws Exception {
    int burst = 3000;
    int bursts = 4;
    long ownLimit = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
    Assumptions.assumeTrue(ownLimit > burst + 500,
        "the test JVM needs more than " + (burst + 500) + " open files for the burst; its limit is " + ownLimit);
    try (AgentProcess agent = AgentProcess.start(AGENT_FILE_LIMIT, "--http-port", "0",
        "--data-dir", tmp.resolve("data").toString())) {
      int port = agent.port;
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> get(port, "/api/v1/cpu").contains("percent"));
      List<String> failures = new ArrayList<>();
      int answered = 0;
      int reads = 0;
      long floodStart = System.currentTimeMillis();
      for (int b = 0; b < bursts; b++) {
        List<SocketChannel> flood = new ArrayList<>();
        try {
          for (int i = 0; i < burst; i++) {
            SocketChannel c = SocketChannel.open();
            c.configureBlocking(false);
            c.connect(new InetSocketAddress("127.0.0.1", port)); // completes in the kernel, not waited for
            flood.add(c);
          }
          // the client's reads while the burst is held open: one a second, each on a fresh connection
          for (int r = 0; r < 4; r++) {
            long roundStart = System.nanoTime();
            reads++;
            try {
              assertThat(new JsonObject(get(port, "/api/v1/cpu")).getValue("percent")).isNotNull();
              answered++;
            } catch (IOException e) {
              failures.add("burst " + b + ", read " + r + ": " + e.getMessage());
            }
            long restMs = 1000 - (System.nanoTime() - roundStart) / 1_000_000;
            if (restMs > 0) {
              Thread.sleep(restMs); // the client's pace: one read a second
            }
          }
        } finally {
          for (SocketChannel c : flood) {
            c.close();
          }
        }
      }
      long floodEnd = System.currentTimeMillis();
      agent.output().lines().filter(l -> l.contains("WARN") || l.contains("ERROR"))
          .limit(20).forEach(l -> System.out.println("  agent: " + l));
      System.out.printf("connection bursts from %d to %d: %d bursts of %d connections, %d of %d reads answered%n",
          floodStart, floodEnd, bursts, burst, answered, reads);
      assertThat(failures).as("reads not answered").isEmpty();
      // the agent still answers after the bursts, and never ran out of files
      assertThat(new JsonObject(get(port, "/api/v1/cpu")).getValue("percent")).isNotNull();
      assertThat(agent.output()).doesNotContain("Too many open files");
      samplesWithoutGaps(port, floodStart, floodEnd, "the bursts");
    }
  }

  /** The history points from {@code from} to {@code to}: about one a second, none of them a gap. */
  private static List<JsonObject> samplesWithoutGaps(int port, long from, long to, String what) throws Exception {
    JsonArray points = new JsonObject(get(port, "/api/v1/history?window=5m")).getJsonArray("points");
    List<JsonObject> during = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      JsonObject p = points.getJsonObject(i);
      if (p.getLong("t") >= from && p.getLong("t") <= to) {
        during.add(p);
      }
    }
    assertThat(during).as("samples during " + what).hasSizeGreaterThanOrEqualTo((int) ((to - from) / 1000) - 2)
        .allSatisfy(p -> assertThat(p.getValue("cpu")).as("a gap at " + p.getLong("t")).isNotNull());
    return during;
  }
}

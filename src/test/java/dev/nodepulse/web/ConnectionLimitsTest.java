package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Header timeout (slowloris), idle timeout and the per-listener connection cap. */
class ConnectionLimitsTest {
  @TempDir Path tmp;
  private Vertx vertx;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void close() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private int start(String... flags) {
    vertx = Vertx.vertx();
    Config config = Config.forTest(tmp, flags);
    vertx.deployVerticle(new MetricsVerticle(config)).await();
    WebVerticle web = new WebVerticle(config, List.of("metrics", "web"));
    vertx.deployVerticle(web).await();
    return web.httpPort();
  }

  private Socket open(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(200);
    sockets.add(s);
    return s;
  }

  /** Whether the agent has closed its end: a read sees end of stream (or a reset). */
  private static boolean closedByPeer(Socket s) {
    try {
      InputStream in = s.getInputStream();
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void aClientTricklingItsHeadersIsClosedAfterTheHeaderTimeout() throws Exception {
    int port = start("--http-header-timeout", "2s", "--http-idle-timeout", "1h");
    Socket slow = open(port);
    OutputStream out = slow.getOutputStream();
    out.write(("GET /api/v1/sum?a=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n").getBytes(StandardCharsets.US_ASCII));
    long started = System.nanoTime();
    // one byte at a time keeps an idle timer from ever firing; only the header timeout ends this
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
      try {
        out.write('X');
        out.flush();
      } catch (IOException e) {
        return true;
      }
      return closedByPeer(slow);
    });
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void aSilentConnectionIsClosedAndAnsweredRequestsRestartTheClock() throws Exception {
    int port = start("--http-header-timeout", "5m", "--http-idle-timeout", "2s");
    Socket idle = open(port);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> closedByPeer(idle));
  }

  @Test
  void atTheCapTheLongestWaitingIdleConnectionMakesRoomAndRequestsStillGetThrough() throws Exception {
    int port = start("--http-max-connections", "16", "--http-header-timeout", "5m", "--http-idle-timeout", "1h");
    List<Socket> idle = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      idle.add(open(port));
    }
    // every request on a fresh connection is answered however many idle ones wait
    for (int i = 0; i < 5; i++) {
      RawHttp.Reply r = RawHttp.get(port, "127.0.0.1", "/api/v1/sum?a=" + i);
      assertThat(r.status()).isEqualTo(200);
    }
    // the oldest idle connections were the ones closed; at most 16 of ours are still open
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(idle.stream().filter(s -> !closedByPeer(s)).count()).isLessThanOrEqualTo(16));
    assertThat(closedByPeer(idle.get(0))).isTrue();
    assertThat(closedByPeer(idle.get(idle.size() - 1))).isFalse();
  }
}

package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class TcpTargetTest {
  @TempDir Path dir;
  Vertx vertx;
  Targets targets;
  final Buffer received = Buffer.buffer();
  final AtomicInteger connections = new AtomicInteger();
  final AtomicBoolean closed = new AtomicBoolean();

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    targets = new Targets(vertx, Config.forTest(dir));
  }

  @AfterEach
  void stop() {
    targets.close();
  }

  /** A server that answers each line with "PONG <line>" when {@code answer}, else only listens. */
  private int server(boolean answer) {
    NetServer server = vertx.createNetServer().connectHandler(socket -> {
      connections.incrementAndGet();
      socket.closeHandler(v -> closed.set(true));
      socket.handler(RecordParser.newDelimited("\n", line -> {
        synchronized (received) {
          received.appendBuffer(line).appendString("\n");
        }
        if (answer) {
          socket.write("PONG " + line + "\r\n");
        }
      }));
    });
    return await(server.listen(0, "127.0.0.1")).actualPort();
  }

  private String received() {
    synchronized (received) {
      return received.toString();
    }
  }

  @Test
  void readsTheReplyLine() {
    int port = server(true);
    RunResult r = await(targets.start(new Target.Tcp("127.0.0.1:" + port, "PING\n", true, Duration.ofSeconds(5)),
        Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.result()).isEqualTo("PONG PING");
    assertThat(r.bytes()).isEqualTo("PING\n".length() + "PONG PING\r".length());
    assertThat(received()).isEqualTo("PING\n");
    await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
  }

  @Test
  void withoutReplyWritesAndCloses() {
    int port = server(false);
    RunResult r = await(targets.start(new Target.Tcp("localhost:" + port, "hello\nworld\n", false,
        Duration.ofSeconds(5)), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.result()).isNull();
    assertThat(r.bytes()).isEqualTo(12);
    await().atMost(Duration.ofSeconds(5)).until(() -> received().equals("hello\nworld\n"));
    await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
  }

  @Test
  void aServerThatNeverRepliesTimesOutAndIsClosed() {
    int port = server(false);
    RunResult r = await(targets.start(new Target.Tcp("127.0.0.1:" + port, "PING\n", true, Duration.ofMillis(300)),
        Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
    assertThat(r.error()).contains("no reply line within 300ms");
    await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
  }

  @Test
  void connectionRefusedFails() throws Exception {
    RunResult r;
    int port;
    // a port bound but not listening refuses connections, and nothing else can take it meanwhile
    try (java.net.Socket holder = new java.net.Socket()) {
      holder.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      port = holder.getLocalPort();
      r = await(targets.start(new Target.Tcp("127.0.0.1:" + port, "x", false, Duration.ofSeconds(5)),
          Map.of(), p -> {}));
    }

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("connection to 127.0.0.1:" + port + " failed").containsIgnoringCase("refused");
  }

  @Test
  void aDeniedDestinationIsNeverConnected() {
    int port = server(true);
    Targets denying = new Targets(vertx, Config.forTest(dir, "--destination-deny", "127.0.0.0/8"));
    try {
      RunResult r = await(denying.start(new Target.Tcp("127.0.0.1:" + port, "PING\n", true, Duration.ofSeconds(5)),
          Map.of(), p -> {}));
      assertThat(r.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(r.error()).isEqualTo("destination 127.0.0.1 is denied by --destination-deny 127.0.0.0/8");

      assertThat(await(targets.start(new Target.Tcp("127.0.0.1:" + port, "PING\n", true, Duration.ofSeconds(5)),
          Map.of(), p -> {})).outcome()).isEqualTo(Outcome.SUCCEEDED);
      assertThat(connections).hasValue(1);
    } finally {
      denying.close();
    }
  }

  @Test
  void metadataIsDeniedOverTcpToo() {
    RunResult r = await(targets.start(new Target.Tcp("169.254.169.254:80", "GET /\n", true, Duration.ofSeconds(5)),
        Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.DENIED);
    assertThat(r.error()).contains("169.254.169.254").contains("169.254.0.0/16");
  }
  // the address form ([ipv6]:port, host:port) is checked once, by TaskReader: see TaskReaderTest
}

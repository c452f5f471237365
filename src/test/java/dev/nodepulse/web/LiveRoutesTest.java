package dev.nodepulse.web;

import dev.nodepulse.bus.LiveClients;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bridge and the static routes on a bare router: no agent, fake samples on the bus. */
class LiveRoutesTest {
  private static final String SAMPLE = "nodepulse.sampler.sample";
  private static final int BOUND = 16;

  /** Frames are this big, and the stalled client's and the server's socket buffers are set to it. */
  private static final int FRAME = 16 * 1024;
  /** Frames published while one client does not read: far more than its buffers and its bound hold. */
  private static final int FRAMES = 300;
  /** Longer than any test here: no client is closed for not pinging unless a test sets a short timeout. */
  private static final long NEVER_MS = 600_000;

  private Vertx server;
  private Vertx clients;
  private WebSocketClient wsc; // held: an unreferenced client is closed when collected, with its sockets
  /** For the client that never reads: a small fixed receive buffer (no kernel autotuning). */
  private WebSocketClient stalledWsc;
  private LiveBridge bridge;
  private int port;
  private final List<Integer> counts = new CopyOnWriteArrayList<>();
  /** Run by every client after it got a numbered frame: paces the publisher by what the readers got. */
  private volatile Runnable onFrame = () -> {};

  @BeforeEach
  void createClients() {
    server = Vertx.vertx();
    clients = Vertx.vertx();
    wsc = clients.createWebSocketClient();
    stalledWsc = clients.createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(FRAME));
    server.eventBus().<JsonObject>consumer(LiveClients.ADDRESS, m -> counts.add(m.body().getInteger("count")));
  }

  /** The live routes on a bare router, on a listener whose send buffer is fixed too. */
  private void mount(long pingTimeoutMs) throws Exception {
    Router router = Router.router(server);
    bridge = LiveRoutes.mount(server, router, BOUND, pingTimeoutMs);
    HttpServer http = server.createHttpServer(new HttpServerOptions().setSendBufferSize(FRAME)).requestHandler(router)
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    port = http.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    clients.close().await(30, TimeUnit.SECONDS);
    server.close().await(10, TimeUnit.SECONDS);
  }

  /** A raw bridge client (the SockJS bridge writes its frames as binary WebSocket frames); {@code seqs} are the frames it got. */
  private record Client(WebSocket ws, ConcurrentLinkedQueue<JsonObject> got, ConcurrentLinkedQueue<Integer> seqs,
      AtomicBoolean closed) {
    void send(JsonObject frame) {
      ws.writeTextMessage(frame.encode());
    }
  }

  private Client connect() throws Exception {
    return connect(true);
  }

  /** A client; a live one pings like the page does, a dead one never does. */
  private Client connect(boolean pings) throws Exception {
    WebSocket ws = (pings ? wsc : stalledWsc).connect(port, "127.0.0.1", "/live/websocket").await(10, TimeUnit.SECONDS);
    ConcurrentLinkedQueue<JsonObject> got = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Integer> seqs = new ConcurrentLinkedQueue<>();
    AtomicBoolean closed = new AtomicBoolean();
    ws.binaryMessageHandler(buf -> {
      JsonObject frame = buf.toJsonObject();
      JsonObject body = frame.getValue("body") instanceof JsonObject b ? b : null;
      if (body != null && body.containsKey("seq")) {
        seqs.add(body.getInteger("seq")); // the padding is not kept
        onFrame.run();
      } else {
        got.add(frame);
      }
    });
    long timer = pings ? clients.setPeriodic(500, id -> ws.writeTextMessage("{\"type\":\"ping\"}")) : -1;
    ws.closeHandler(v -> {
      clients.cancelTimer(timer);
      closed.set(true);
    });
    return new Client(ws, got, seqs, closed);
  }

  private static JsonObject register(String address) {
    return new JsonObject().put("type", "register").put("address", address);
  }

  /** Registers every client for samples and waits until each gets them. */
  private void registered(List<Client> all) {
    all.forEach(c -> c.send(register(SAMPLE)));
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
      server.eventBus().publish(SAMPLE, new JsonObject().put("warmup", true));
      return all.stream().allMatch(c -> !c.got().isEmpty());
    });
  }

  private void publish(int from, int to) {
    String pad = "x".repeat(FRAME);
    for (int seq = from; seq < to; seq++) {
      server.eventBus().publish(SAMPLE, new JsonObject().put("seq", seq).put("pad", pad));
    }
  }

  @Test
  void aStalledClientLosesFramesNotTheOthersAndThenGetsTheNewestAgain() throws Exception {
    mount(NEVER_MS);
    List<Client> readers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      readers.add(connect());
    }
    Client stalled = connect(false);
    List<Client> all = new ArrayList<>(readers);
    all.add(stalled);
    registered(all);
    await().atMost(Duration.ofSeconds(30)).until(() -> counts.contains(6));
    stalled.ws().pause();

    // 300 frames of 16 KiB (about 5 MiB) while one client reads nothing. The publisher is paced by the
    // readers, not by a clock: a frame goes out when the slowest reader is at most 8 behind, so a reader
    // never has more than 8 in flight (its bound is 16) however slow the machine. The stalled client's
    // socket buffers (16 KiB each side, set above) and its 16 frames in flight hold a small part; the
    // rest is dropped for it alone.
    AtomicInteger sent = new AtomicInteger();
    onFrame = () -> {
      synchronized (sent) {
        int slowest = readers.stream().mapToInt(c -> c.seqs().size()).min().orElse(0);
        while (sent.get() < FRAMES && sent.get() < slowest + BOUND / 2) {
          publish(sent.get(), sent.incrementAndGet());
        }
      }
    };
    onFrame.run();
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
        .until(() -> readers.stream().allMatch(c -> c.seqs().size() >= FRAMES));
    onFrame = () -> {};
    for (Client c : readers) {
      assertThat(List.copyOf(c.seqs())).as("every frame, in order, for a client that reads")
          .isEqualTo(java.util.stream.IntStream.range(0, FRAMES).boxed().toList());
    }

    // the stalled client reads again: it got the frames its buffers held, in order, then a hole;
    // new frames reach it again (a sample supersedes the one before: nothing waits for the old ones)
    stalled.ws().resume();
    AtomicInteger next = new AtomicInteger(FRAMES);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      int seq = next.getAndIncrement();
      publish(seq, seq + 1);
      return stalled.seqs().stream().anyMatch(s -> s >= FRAMES);
    });
    List<Integer> got = List.copyOf(stalled.seqs());
    assertThat(got).as("frames the stalled client got, in order").isSortedAccordingTo(Integer::compare).doesNotHaveDuplicates();
    List<Integer> old = got.stream().filter(s -> s < FRAMES).toList();
    assertThat(old).as("of the %d frames sent while it did not read, it got only what its buffers held", FRAMES)
        .isNotEmpty().hasSizeLessThan(FRAMES / 3);
    assertThat(old.getFirst()).as("the first frames, not a later window").isZero();
    assertThat(counts.getLast()).as("nobody was closed").isEqualTo(6);
    assertThat(all).noneMatch(c -> c.closed().get());
  }

  /**
   * Clients that go away without a goodbye (a tab closed, a laptop asleep: the TCP connection just ends) are
   * ordinary: nothing at WARN or above, and no stack trace, is logged for them.
   */
  @Test
  void clientsThatJustGoAwayLogNothingAboveDebug() throws Exception {
    mount(NEVER_MS);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    try {
      for (int i = 0; i < 6; i++) {
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", port)) {
          raw.setSoTimeout(10_000);
          raw.getOutputStream().write(("GET /live/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          StringBuilder head = new StringBuilder();
          while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) raw.getInputStream().read());
          }
          assertThat(head.toString()).startsWith("HTTP/1.1 101");
          raw.getOutputStream().write(maskedText(register(SAMPLE).encode()));
          await().atMost(Duration.ofSeconds(30)).until(() -> counts.getLast() == 1);
          // the bridge writes to it while it goes
          server.eventBus().publish(SAMPLE, new JsonObject().put("seq", -1).put("pad", "x".repeat(FRAME)));
          if (i % 2 == 1) {
            raw.setSoLinger(true, 0); // every other one ends with a reset, as a lost network does
          }
        } // the TCP connection ends: no close frame
        await().atMost(Duration.ofSeconds(30)).until(() -> counts.getLast() == 0);
      }
    } finally {
      root.detachAppender(logs);
    }
    assertThat(logs.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)
        || e.getThrowableProxy() != null).as("log events at WARN or above, or with a stack trace").isEmpty();
  }

  /** One masked client text frame (payload under 126 bytes). */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    byte[] mask = {1, 2, 3, 4};
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }

  /**
   * On the XHR transports the bridge's answers wait in the session until the client polls: a client that posts
   * frames the bridge refuses and never polls would have them pile up. Its answers count towards its bound like
   * deliveries, and past it the session is closed: what it posts next finds no session.
   */
  @Test
  void anXhrClientThatSendsWithoutReadingItsAnswersIsClosed() throws Exception {
    mount(NEVER_MS);
    String head = "POST /live/000/flood/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n";
    RawHttp.Reply open = RawHttp.exchange(port, head.formatted("xhr"), new byte[0]);
    assertThat(open.status()).isEqualTo(200);
    assertThat(open.body()).as("the open frame (chunked)").contains("\no\n");
    await().atMost(Duration.ofSeconds(30)).until(() -> counts.contains(1));
    String publish = new JsonObject().put("type", "publish").put("address", SAMPLE).put("body", 1).encode();
    String frames = new io.vertx.core.json.JsonArray(java.util.Collections.nCopies(BOUND * 3, publish)).encode();
    RawHttp.Reply sent = RawHttp.exchange(port, head.formatted("xhr_send"), frames.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(sent.status()).as("the frames were taken: " + sent.body()).isEqualTo(204);

    // it never polled: past the bound the session was closed at once (not after the 10 s session timeout, which
    // without a bound lets a client queue as many answers as it can post meanwhile), so the next post finds none
    RawHttp.Reply again = RawHttp.exchange(port, head.formatted("xhr_send"), frames.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(again.status()).as("a post to the closed session: " + again.body()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(30)).until(() -> counts.getLast() == 0);
  }

  @Test
  void aClientThatStopsPingingIsClosedEvenWhileItDoesNotRead() throws Exception {
    mount(5_000);
    Client stalled = connect(false);
    registered(List.of(stalled));
    await().atMost(Duration.ofSeconds(30)).until(() -> counts.contains(1));
    if (!stalled.closed().get()) {
      stalled.ws().pause();
    }
    publish(0, FRAMES); // more than it can take: a close frame would wait behind them

    // no ping for the timeout: the bridge drops the connection and the live-client count says so
    await().atMost(Duration.ofSeconds(60)).until(() -> counts.getLast() == 0);
    assertThat(bridge.clients()).isZero();
    if (!stalled.closed().get()) {
      stalled.ws().resume();
    }
    await().atMost(Duration.ofSeconds(30)).untilTrue(stalled.closed());
  }

  @Test
  void clientsThatLeaveAreCounted() throws Exception {
    mount(NEVER_MS);
    List<Client> readers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      readers.add(connect());
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> !counts.isEmpty() && counts.getLast() == 3);
    readers.forEach(c -> c.ws().close());
    await().atMost(Duration.ofSeconds(30)).until(() -> counts.getLast() == 0);
    assertThat(counts).as("every change published").containsSubsequence(1, 2, 3, 2, 1, 0);
  }

  @Test
  void nothingIsPermittedInboundAndOnlyThePageAddressesOutbound() throws Exception {
    mount(NEVER_MS);
    Client c = connect();
    c.send(new JsonObject().put("type", "publish").put("address", SAMPLE).put("body", new JsonObject()));
    c.send(new JsonObject().put("type", "send").put("address", "nodepulse.tasks.put").put("body", new JsonObject()));
    c.send(register("nodepulse.sampler.latest"));
    await().atMost(Duration.ofSeconds(10)).until(() -> c.got().size() >= 3);
    assertThat(c.got()).allSatisfy(f -> {
      assertThat(f.getString("type")).isEqualTo("err");
      assertThat(f.getString("body")).isEqualTo("access_denied");
    });
    for (String address : LiveRoutes.OUTBOUND) {
      c.send(register(address));
    }
    c.got().clear();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
      LiveRoutes.OUTBOUND.forEach(a -> server.eventBus().publish(a, new JsonObject().put("a", a)));
      return c.got().stream().map(f -> f.getString("address")).distinct().count() == LiveRoutes.OUTBOUND.size();
    });
    assertThat(c.got()).allSatisfy(f -> assertThat(f.getString("type")).isEqualTo("rec"));
  }

  @Test
  void theClusterSummarysSubscribersAreCountedSoPeersAreAskedOnlyWhileSomeoneViews() throws Exception {
    List<Integer> viewers = new CopyOnWriteArrayList<>();
    server.eventBus().<JsonObject>consumer(dev.nodepulse.bus.ClusterView.VIEWERS,
        m -> viewers.add(m.body().getInteger("count")));
    mount(NEVER_MS);
    Client a = connect();
    Client b = connect();
    a.send(register(SAMPLE)); // another address: not a viewer
    a.send(register(dev.nodepulse.bus.ClusterView.SUMMARY));
    b.send(register(dev.nodepulse.bus.ClusterView.SUMMARY));
    await().atMost(Duration.ofSeconds(10)).until(() -> viewers.equals(List.of(1, 2)));
    a.send(new JsonObject().put("type", "unregister").put("address", dev.nodepulse.bus.ClusterView.SUMMARY));
    await().atMost(Duration.ofSeconds(10)).until(() -> viewers.equals(List.of(1, 2, 1)));
    b.ws().close(); // a page closed while subscribed
    await().atMost(Duration.ofSeconds(10)).until(() -> viewers.equals(List.of(1, 2, 1, 0)));
  }

  @Test
  void servesThePageAndItsWebJarsFromTheJar() throws Exception {
    mount(NEVER_MS);
    // WebClient reads each whole body before the future completes
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(clients);
    record Got(int status, String type, String body) {}
    java.util.function.Function<String, Got> get = path -> http.get(port, "127.0.0.1", path).send()
        .map(r -> new Got(r.statusCode(), r.getHeader("content-type"), r.bodyAsString() == null ? "" : r.bodyAsString()))
        .await();
    Got page = get.apply("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.type()).startsWith("text/html");
    assertThat(page.body()).contains("/app/live.js").doesNotContain("http://", "https://");
    Got js = get.apply("/app/live.js");
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.type()).contains("javascript");
    assertThat(get.apply("/app/live.css").status()).isEqualTo(200);
    assertThat(get.apply("/webjars/chart.js/4.5.1/dist/chart.umd.min.js").status()).isEqualTo(200);
    assertThat(get.apply(LiveRoutes.SOCKJS_CLIENT).status()).isEqualTo(200);
    assertThat(get.apply("/app/../../logback.xml").status()).isNotEqualTo(200);
    Got info = get.apply("/live/info");
    assertThat(info.status()).isEqualTo(200);
    assertThat(new JsonObject(info.body()).getBoolean("websocket")).isTrue();
    http.close();
  }
  /** A browser whose WebSocket fails falls back to XHR: its frames come as POST bodies, which must be read. */
  @Test
  void theXhrTransportTakesFramesAndDeliversSamples() throws Exception {
    mount(NEVER_MS);
    // one connection per request: SockJS answers some XHR requests by closing, and a pooled connection
    // picked up just as it closes fails the next request
    io.vertx.ext.web.client.WebClient web = io.vertx.ext.web.client.WebClient.create(clients,
        new io.vertx.ext.web.client.WebClientOptions().setKeepAlive(false));
    try {
      String base = "/live/000/xhrsession";
      var open = web.post(port, "127.0.0.1", base + "/xhr").send().await(30, TimeUnit.SECONDS);
      assertThat(open.statusCode()).isEqualTo(200);
      assertThat(open.bodyAsString()).startsWith("o");
      String register = new io.vertx.core.json.JsonArray()
          .add(new JsonObject().put("type", "register").put("address", SAMPLE).encode()).encode();
      var sent = web.post(port, "127.0.0.1", base + "/xhr_send")
          .putHeader("Content-Type", "text/plain;charset=UTF-8")
          .sendBuffer(io.vertx.core.buffer.Buffer.buffer(register)).await(30, TimeUnit.SECONDS);
      assertThat(sent.statusCode()).as(sent.bodyAsString()).isEqualTo(204);
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        server.eventBus().publish(SAMPLE, new JsonObject().put("seq", 1));
        var poll = web.post(port, "127.0.0.1", base + "/xhr").send().await(30, TimeUnit.SECONDS);
        assertThat(poll.bodyAsString()).contains("\\\"seq\\\":1");
      });
    } finally {
      web.close();
    }
  }
}

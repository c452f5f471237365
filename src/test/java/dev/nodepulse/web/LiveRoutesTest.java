package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bridge and the static routes on a bare router: no agent, fake samples on the bus. */
class LiveRoutesTest {
  private static final String SAMPLE = "nodepulse.sampler.sample";
  private static final int BOUND = 16;
  private static final long PING_TIMEOUT_MS = 3000;

  private Vertx server;
  private Vertx clients;
  private WebSocketClient wsc; // held: an unreferenced client is closed when collected, with its sockets
  /** For the client that never reads: a small fixed receive buffer, so it fills in a fraction of a second. */
  private WebSocketClient stalledWsc;
  private LiveBridge bridge;
  private int port;
  private final List<Integer> counts = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = Vertx.vertx();
    clients = Vertx.vertx();
    wsc = clients.createWebSocketClient();
    stalledWsc = clients.createWebSocketClient(
        new io.vertx.core.http.WebSocketClientOptions().setReceiveBufferSize(32 * 1024));
    Router router = Router.router(server);
    bridge = LiveRoutes.mount(server, router, BOUND, PING_TIMEOUT_MS);
    server.eventBus().<JsonObject>consumer(WebVerticle.CLIENTS, m -> counts.add(m.body().getInteger("count")));
    HttpServer http = server.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    port = http.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    clients.close().await(30, TimeUnit.SECONDS);
    server.close().await(10, TimeUnit.SECONDS);
  }

  /** A raw bridge client (the bridge writes binary frames: STACK.md G6). */
  private record Client(WebSocket ws, ConcurrentLinkedQueue<JsonObject> got) {
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
    ws.binaryMessageHandler(buf -> got.add(buf.toJsonObject()));
    if (pings) {
      long timer = clients.setPeriodic(500, id -> ws.writeTextMessage("{\"type\":\"ping\"}"));
      ws.closeHandler(v -> clients.cancelTimer(timer));
    }
    return new Client(ws, got);
  }

  private static JsonObject register(String address) {
    return new JsonObject().put("type", "register").put("address", address);
  }

  @Test
  void aStalledClientIsBoundedAndDoesNotHoldUpTheOthers() throws Exception {
    List<Client> readers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      readers.add(connect());
    }
    Client stalled = connect(false);
    List<Client> all = new ArrayList<>(readers);
    all.add(stalled);
    all.forEach(c -> c.send(register(SAMPLE)));
    await().atMost(Duration.ofSeconds(10)).until(() -> counts.contains(6));

    // warm up until every client's registration is live
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
      server.eventBus().publish(SAMPLE, new JsonObject().put("warmup", true));
      return all.stream().allMatch(c -> !c.got().isEmpty());
    });
    stalled.ws().pause();
    readers.forEach(c -> c.got().clear());

    // ~32 KB frames, 500 a second, until the stalled client's socket buffers are full and frames for it
    // drop; then 200 more. Every client that reads must get every one of them.
    String pad = "x".repeat(32 * 1024);
    AtomicInteger seq = new AtomicInteger();
    AtomicInteger stopAt = new AtomicInteger(20_000);
    AtomicInteger peakInFlight = new AtomicInteger();
    long timer = server.setPeriodic(10, id -> {
      for (int i = 0; i < 5 && seq.get() < stopAt.get(); i++) {
        server.eventBus().publish(SAMPLE, new JsonObject().put("seq", seq.getAndIncrement()).put("pad", pad));
      }
      peakInFlight.accumulateAndGet(bridge.maxInFlightNow(), Math::max);
      if (bridge.dropped() > 0 && stopAt.get() == 20_000) {
        stopAt.set(seq.get() + 200);
      }
    });
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() ->
        seq.get() >= stopAt.get() && readers.stream().allMatch(c -> c.got().size() >= seq.get()));
    server.cancelTimer(timer);
    int frames = seq.get();
    assertThat(frames).as("the stalled client filled up before the cap").isLessThan(20_000);

    for (Client c : readers) {
      List<Integer> seqs = c.got().stream().map(f -> f.getJsonObject("body").getInteger("seq"))
          .filter(java.util.Objects::nonNull).toList();
      assertThat(seqs).as("every frame, in order, for a client that reads").hasSize(frames)
          .isSortedAccordingTo(Integer::compare);
      assertThat(seqs.get(frames - 1)).isEqualTo(frames - 1);
    }
    assertThat(bridge.dropped()).as("frames dropped for the stalled client").isPositive();
    assertThat(peakInFlight.get()).as("frames queued for one client").isLessThanOrEqualTo(BOUND);

    // the stalled client never pings: the bridge closes it, and the count says so
    await().atMost(Duration.ofSeconds(PING_TIMEOUT_MS / 1000 + 10)).until(() -> counts.getLast() == 5);
    assertThat(bridge.clients()).isEqualTo(5);

    stalled.ws().resume(); // lets the client side see the close and end
    readers.forEach(c -> c.ws().close());
    await().atMost(Duration.ofSeconds(10)).until(() -> bridge.clients() == 0);
    assertThat(counts.getLast()).isZero();
  }

  @Test
  void nothingIsPermittedInboundAndOnlyThePageAddressesOutbound() throws Exception {
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
  void servesThePageAndItsWebJarsFromTheJar() throws Exception {
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
}

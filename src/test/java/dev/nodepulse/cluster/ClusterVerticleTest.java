package dev.nodepulse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.bus.AgentLeases;
import dev.nodepulse.bus.ClusterView;
import dev.nodepulse.sampler.SamplerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster concern against stand-in peers on loopback (one that never answers, one answering too much, one
 * answering nonsense, one answering well)
 * and stand-in Leases: at most one request in flight per peer however many view, answers bounded and checked, the
 * agent's token shown, and the peers asked only while someone views (a clock moved by hand ends a REST view).
 */
class ClusterVerticleTest {
  static final Instant START = Instant.parse("2026-12-04T22:00:00Z");
  final AtomicReference<Instant> now = new AtomicReference<>(START);
  Vertx vertx;
  ClusterVerticle cluster;
  final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final List<String> tokens = new CopyOnWriteArrayList<>();
  int slowPort;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    int slow = listen("slow", req -> { // node-2 never answers: each request is held until the asker gives up
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      req.connection().closeHandler(v -> inFlight.decrementAndGet());
    });
    int quick = listen("quick", req -> req.response().putHeader("content-type", "application/json") // node-5
        .end(new JsonObject().put("percent", 50.0).put("sampledAt", START.toString()).encode()));
    slowPort = slow;
    int big = listen("big", req -> req.response().setChunked(true).end("x".repeat(100_000))); // node-3
    int odd = listen("odd", req -> req.response().end(new JsonObject().put("percent", 500).encode())); // node-4
    vertx.eventBus().<JsonObject>localConsumer(AgentLeases.ADDRESS, m -> m.reply(new AgentLeases(List.of(
        peer("node-1", quick), peer("node-2", slow), peer("node-3", big), peer("node-4", odd), peer("node-5", quick)))
        .toJson()));
    vertx.eventBus().<JsonObject>consumer(SamplerVerticle.LATEST, m -> m.reply(new JsonObject()
        .put("sampledAt", START.toString()).put("cpu", new JsonObject().put("percent", 5.0))));
    cluster = new ClusterVerticle("node-1", () -> "agent-token", now::get);
    vertx.deployVerticle(cluster).await();
  }

  /** A stand-in peer counting its requests (by its name) and the tokens shown. */
  int listen(String name, io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> answer) {
    return vertx.createHttpServer().requestHandler(req -> {
      tokens.add(req.getHeader("Authorization"));
      requests.computeIfAbsent(name + " " + req.path(), k -> new AtomicInteger()).incrementAndGet();
      answer.handle(req);
    }).listen(0, "127.0.0.1").await().actualPort();
  }

  AgentLeases.Peer peer(String node, int port) {
    return new AgentLeases.Peer(node, START, Duration.ofHours(1), "127.0.0.1", port);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  JsonObject nodes() {
    return vertx.eventBus().<JsonObject>request(ClusterView.NODES, new JsonObject()).await().body();
  }

  static JsonObject row(JsonObject view, String node) {
    return view.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(r -> r.getString("node").equals(node)).findFirst().orElseThrow();
  }

  @Test
  void manyViewersMakeAtMostOneRequestInFlightPerPeerWithTheAgentsToken() throws Exception {
    List<Future<io.vertx.core.eventbus.Message<JsonObject>>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      calls.add(vertx.eventBus().request(ClusterView.NODES, new JsonObject()));
    }
    Future.all(calls).await(30, TimeUnit.SECONDS);
    // the first calls after a pause all wait for the same round of answers: none shows a peer not yet asked
    for (var c : calls) {
      assertThat(row(c.result().body(), "node-5").getString("state")).as(c.result().body().encode()).isEqualTo("Ready");
      assertThat(row(c.result().body(), "node-5").getDouble("percent")).isEqualTo(50.0);
      assertThat(row(c.result().body(), "node-2").getString("reason"))
          .isEqualTo("its peer endpoint 127.0.0.1:" + slowPort + " cannot be reached: no answer within 2000 ms");
    }
    vertx.eventBus().publish(ClusterView.VIEWERS, new JsonObject().put("count", 3)); // and pages, once a second
    await().atMost(60, TimeUnit.SECONDS).until(() -> requests.getOrDefault("slow /peer/v1/summary",
        new AtomicInteger()).get() >= 3);
    assertThat(maxInFlight.get()).as("requests to node-2 at once, though ticks come every second").isEqualTo(1);
    assertThat(tokens).containsOnly("Bearer agent-token");
    assertThat(row(nodes(), "node-1").getString("state")).as("this agent's own node, read locally").isEqualTo("Ready");
  }

  @Test
  void anAnswerTooLargeOrNotUnderstoodMakesThatPeerUnreachableNamingWhy() {
    await().atMost(30, TimeUnit.SECONDS).until(() -> {
      JsonObject view = nodes();
      return "Unreachable".equals(row(view, "node-3").getString("state"))
          && "Unreachable".equals(row(view, "node-4").getString("state"));
    });
    JsonObject view = nodes();
    assertThat(row(view, "node-3").getString("reason")).endsWith("its answer is larger than 16384 bytes");
    assertThat(row(view, "node-4").getString("reason"))
        .isEqualTo("its answer is not understood: percent: '500' is not a number from 0 to 100");
  }

  @Test
  void peersAreAskedOnlyWhileSomeoneViews() {
    assertThat(cluster.polling()).as("nobody viewed yet").isFalse();
    assertThat(requests).isEmpty();
    nodes(); // a REST call views for a while
    assertThat(cluster.polling()).isTrue();
    now.set(START.plus(ClusterVerticle.VIEW_GRACE).plusSeconds(1));
    await().atMost(30, TimeUnit.SECONDS).until(() -> !cluster.polling());

    List<JsonObject> pushed = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(ClusterView.SUMMARY, m -> pushed.add(m.body()));
    vertx.eventBus().publish(ClusterView.VIEWERS, new JsonObject().put("count", 1)); // a page subscribed
    await().atMost(30, TimeUnit.SECONDS).until(() -> pushed.size() >= 2 && cluster.polling());
    assertThat(pushed.get(1).getJsonArray("items")).hasSize(5);
    now.set(now.get().plus(ClusterVerticle.VIEW_GRACE).plusSeconds(1));
    assertThat(cluster.polling()).as("still subscribed").isTrue();
    vertx.eventBus().publish(ClusterView.VIEWERS, new JsonObject().put("count", 0));
    await().atMost(30, TimeUnit.SECONDS).until(() -> !cluster.polling());
  }
}

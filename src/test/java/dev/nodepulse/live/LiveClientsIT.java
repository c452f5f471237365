package dev.nodepulse.live;

import dev.nodepulse.bus.LiveClients;
import dev.nodepulse.bus.Sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.web.WebVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 raw bridge clients on a real agent, one of which never reads: every sample still reaches each
 * of the 199 others, in order and none lost (a reader that the stalled one held up would fall 16
 * frames behind and lose some), and the live-client count reports them all. No window of real time:
 * how fast they arrive is what bench/live measures, on a quiet machine.
 */
class LiveClientsIT {
  private static final int CLIENTS = 200;
  private static final int MEASURED = 5;

  /** One client: when it received each sample (by the sample's {@code t}). */
  private record Client(WebSocket ws, Map<Long, Long> receivedAt) {}

  private static String metrics(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  @Test
  void everySampleReachesEveryReadingClientWithinASecond(@TempDir Path dataDir) throws Exception {
    Agent agent = Agent.start(Config.forTest(dataDir)).await(60, TimeUnit.SECONDS);
    Vertx clientVertx = Vertx.vertx();
    try {
      AtomicInteger reported = new AtomicInteger(-1);
      agent.vertx().eventBus().<JsonObject>consumer(LiveClients.ADDRESS, m -> reported.set(m.body().getInteger("count")));
      Map<Long, Long> publishedAt = new ConcurrentHashMap<>();
      agent.vertx().eventBus().<JsonObject>consumer(Sample.ADDRESS,
          m -> publishedAt.putIfAbsent(m.body().getLong("t"), System.currentTimeMillis()));

      WebSocketClient wsc = clientVertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(CLIENTS * 2));
      List<Client> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        WebSocket ws = wsc.connect(agent.httpPort(), "127.0.0.1", "/live/websocket").await(20, TimeUnit.SECONDS);
        Map<Long, Long> got = new ConcurrentHashMap<>();
        ws.binaryMessageHandler(buf -> {
          long now = System.currentTimeMillis();
          JsonObject frame = buf.toJsonObject();
          if ("rec".equals(frame.getString("type"))) {
            got.putIfAbsent(frame.getJsonObject("body").getLong("t"), now);
          }
        });
        ws.writeTextMessage(new JsonObject().put("type", "register").put("address", Sample.ADDRESS).encode());
        long ping = clientVertx.setPeriodic(5000, id -> ws.writeTextMessage("{\"type\":\"ping\"}"));
        ws.closeHandler(v -> clientVertx.cancelTimer(ping));
        clients.add(new Client(ws, got));
      }
      Client stalled = clients.getFirst();
      stalled.ws().pause();
      List<Client> readers = clients.subList(1, CLIENTS);

      await().atMost(Duration.ofSeconds(30)).until(() -> reported.get() == CLIENTS);
      // every reader is registered once it has had a sample; measure the samples after that
      await().atMost(Duration.ofSeconds(30)).until(() -> readers.stream().allMatch(c -> !c.receivedAt().isEmpty()));
      long from = readers.stream().flatMap(c -> c.receivedAt().keySet().stream()).max(Long::compare).orElseThrow();
      await().atMost(Duration.ofSeconds(30)).until(() -> publishedAt.keySet().stream().filter(t -> t > from).count() >= MEASURED + 1);
      List<Long> measured = publishedAt.keySet().stream().filter(t -> t > from).sorted().limit(MEASURED).toList();
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
          .until(() -> readers.stream().allMatch(c -> c.receivedAt().keySet().containsAll(measured)));
      for (Client c : readers) {
        assertThat(c.receivedAt().keySet().stream().filter(t -> t > from).sorted().toList())
            .as("samples a reader got after the first measured one").startsWith(measured.toArray(Long[]::new));
      }
      assertThat(reported.get()).as("nodepulse.web.clients count").isEqualTo(CLIENTS);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(metrics(agent.httpPort())).as("/metrics")
          .containsPattern("(?m)^nodepulse_live_clients " + CLIENTS + "(\\.0)?$"));

      clients.forEach(c -> c.ws().close());
      stalled.ws().resume();
      await().atMost(Duration.ofSeconds(30)).until(() -> reported.get() == 0);
    } finally {
      clientVertx.close().await(30, TimeUnit.SECONDS);
      agent.stop().await(30, TimeUnit.SECONDS);
    }
  }
}

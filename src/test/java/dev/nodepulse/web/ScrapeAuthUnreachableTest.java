package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Scrape authentication while the API server cannot be reached (a loopback port that accepts and hangs up):
 * the scrape is answered 503 after one attempt at the review, not after the client's own retries, which held a
 * worker thread for ~20 s per scrape.
 */
class ScrapeAuthUnreachableTest {
  private final Vertx vertx = Vertx.vertx();
  private ServerSocket door;

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    if (door != null) {
      door.close();
    }
  }

  @Test
  void aScrapeIsRefusedWith503AfterOneAttemptAtTheReview() throws Exception {
    door = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    AtomicInteger connections = new AtomicInteger();
    Thread.ofPlatform().daemon().start(() -> {
      while (!door.isClosed()) {
        try {
          var socket = door.accept();
          connections.incrementAndGet();
          socket.close();
        } catch (IOException e) {
          return;
        }
      }
    });
    Config base = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:" + door.getLocalPort())
        .withTrustCerts(true).withOauthToken("agent").build();
    ScrapeAuth auth = new ScrapeAuth(vertx, new KubernetesClientBuilder().withConfig(ScrapeAuth.clientConfig(base))
        .build(), Clock.systemUTC(), 8);
    Router router = Router.router(vertx);
    router.get("/metrics").handler(auth).handler(ctx -> ctx.response().end("metrics"));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .await(30, TimeUnit.SECONDS);
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + server.actualPort() + "/metrics"))
          .header("Authorization", "Bearer scraper").timeout(Duration.ofMinutes(2)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).contains("could not be reviewed");
      assertThat(connections.get()).as("connections the review made to the API server").isEqualTo(1);
    } finally {
      auth.close();
    }
  }
}

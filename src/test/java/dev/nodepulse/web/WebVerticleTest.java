package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web verticle on its own, with the real metrics verticle and a stand-in sampler: request
 * counting by route template, event-bus failure mapping, probes, the separate metrics listener.
 */
@ExtendWith(VertxExtension.class)
class WebVerticleTest {
  @TempDir Path tmp;
  private Vertx vertx;
  private WebClient client;

  @AfterEach
  void close() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private WebVerticle start(List<String> components, String... flags) {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    Config config = Config.forTest(tmp, flags);
    vertx.deployVerticle(new MetricsVerticle(config)).await();
    WebVerticle web = new WebVerticle(config, components);
    vertx.deployVerticle(web).await();
    return web;
  }

  private HttpResponse<Buffer> get(int port, String path) {
    return client.get(port, "127.0.0.1", path).timeout(10_000).send().await();
  }

  @Test
  void countsRequestsByRouteTemplateNotRawPath() {
    WebVerticle web = start(List.of("metrics", "web"));
    int port = web.httpPort();
    // no task concern is deployed here: TaskRoutes answers 503, still under its route template
    assertThat(get(port, "/api/v1/tasks/a/b").statusCode()).isEqualTo(503);
    assertThat(get(port, "/api/v1/tasks/c/d").statusCode()).isEqualTo(503);
    assertThat(get(port, "/no/such/" + System.nanoTime()).statusCode()).isEqualTo(404);
    assertThat(get(port, "/api/v1/unknown").statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String text = get(port, "/metrics").bodyAsString();
      assertThat(text).contains(
          "nodepulse_http_requests_total{method=\"GET\",route=\"/api/v1/tasks/:namespace/:name\",status=\"503\"} 2.0",
          "nodepulse_http_requests_total{method=\"GET\",route=\"other\",status=\"404\"} 2.0");
      assertThat(text).doesNotContain("route=\"/api/v1/tasks/a/b\"", "/no/such/", "/api/v1/unknown");
    });
  }

  @Test
  void unknownMethodsShareOneLabelValue() {
    WebVerticle web = start(List.of("metrics", "web"));
    int port = web.httpPort();
    for (String method : List.of("FOO1", "FOO2", "BREW")) {
      int status = client.request(io.vertx.core.http.HttpMethod.valueOf(method), port, "127.0.0.1", "/api/v1/sum")
          .timeout(10_000).send().await().statusCode();
      assertThat(status).isGreaterThanOrEqualTo(400);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String text = get(port, "/metrics").bodyAsString();
      assertThat(text).contains("nodepulse_http_requests_total{method=\"OTHER\",route=\"other\",status=\"405\"} 3.0");
      assertThat(text).doesNotContain("FOO1", "FOO2", "BREW");
    });
  }

  @Test
  void concernFailuresBecomeTheirStatusAndJson() {
    WebVerticle web = start(List.of("web"));
    vertx.eventBus().consumer(dev.nodepulse.sampler.SamplerVerticle.HOST,
        m -> m.fail(409, new JsonObject().put("error", "host facts unavailable").put("details", "x").encode()));
    HttpResponse<Buffer> r = get(web.httpPort(), "/api/v1/host");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.getHeader("content-type")).isEqualTo("application/json");
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "host facts unavailable").put("details", "x"));

    HttpResponse<Buffer> none = get(web.httpPort(), "/api/v1/cpu");
    assertThat(none.statusCode()).isEqualTo(503);
    assertThat(none.bodyAsJsonObject().getString("details")).contains("nodepulse.sampler.latest");
  }

  @Test
  void readinessNeedsEveryComponentAndNamesTheUnresponsiveOne() {
    WebVerticle web = start(List.of("metrics", "web", "slow", "warming"));
    vertx.eventBus().consumer("nodepulse.health.warming",
        m -> m.reply(new JsonObject().put("state", "starting").put("ready", false)));
    HttpResponse<Buffer> live = get(web.httpPort(), "/healthz");
    assertThat(live.statusCode()).isEqualTo(200);
    JsonObject body = live.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("degraded");
    assertThat(body.getJsonObject("components").getJsonObject("slow").getString("state")).isEqualTo("unresponsive");
    assertThat(body.getJsonObject("components").getJsonObject("web").getBoolean("ready")).isTrue();
    assertThat(body.getJsonObject("components").getJsonObject("metrics").getString("state")).isEqualTo("up");
    assertThat(body.getString("version")).isNotBlank();
    assertThat(body.getLong("uptimeSeconds")).isNotNegative();
    assertThat(get(web.httpPort(), "/readyz").statusCode()).isEqualTo(503);

    vertx.eventBus().consumer("nodepulse.health.slow", m -> m.reply(new JsonObject().put("state", "up").put("ready", true)));
    HttpResponse<Buffer> starting = get(web.httpPort(), "/readyz");
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.bodyAsJsonObject().getString("status")).isEqualTo("starting");
  }

  /** Clients that go away in the middle of a request body (closed, or reset) are ordinary: nothing above DEBUG. */
  @Test
  void clientsThatGoAwayMidRequestLogNothingAboveDebug() throws Exception {
    WebVerticle web = start(List.of("metrics", "web"));
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Logger webLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(WebVerticle.class);
    webLog.setLevel(ch.qos.logback.classic.Level.DEBUG);
    logs.start();
    root.addAppender(logs);
    try {
      for (int i = 0; i < 4; i++) {
        java.net.Socket s = new java.net.Socket("127.0.0.1", web.httpPort());
        s.getOutputStream().write(("POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 1000\r\n\r\n{\"metadata\":").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        if (i % 2 == 1) {
          s.setSoLinger(true, 0);
        }
        s.close();
      }
      // every one of them was logged somehow (at DEBUG when all is well)
      await().atMost(Duration.ofSeconds(30)).until(() -> List.copyOf(logs.list).stream()
          .filter(e -> e.getFormattedMessage().contains("went away") || e.getThrowableProxy() != null).count() >= 4);
    } finally {
      root.detachAppender(logs);
      webLog.setLevel(null);
    }
    assertThat(logs.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)
        || e.getThrowableProxy() != null).as("log events at WARN or above, or with a stack trace").isEmpty();
  }

  /** A component that is up but cannot serve (e.g. its database cannot be written) makes the agent not ready. */
  @Test
  void aComponentThatCannotServeMakesTheAgentNotReadyAndSaysWhy() {
    WebVerticle web = start(List.of("metrics", "web", "scheduler"));
    vertx.eventBus().consumer("nodepulse.health.scheduler", m -> m.reply(new JsonObject().put("state", "up")
        .put("ready", false).put("lastError", "tasks.db cannot be written")));
    HttpResponse<Buffer> r = get(web.httpPort(), "/readyz");
    assertThat(r.statusCode()).isEqualTo(503);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("status")).as("not starting: it cannot serve").isEqualTo("degraded");
    assertThat(body.getBoolean("ready")).isFalse();
    assertThat(body.getJsonObject("components").getJsonObject("scheduler").getString("lastError"))
        .isEqualTo("tasks.db cannot be written");
  }

  @Test
  void readyWhenAllComponentsAreReady() {
    WebVerticle web = start(List.of("metrics", "web"));
    HttpResponse<Buffer> r = get(web.httpPort(), "/readyz");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getString("status")).isEqualTo("up");
  }

  @Test
  void separateMetricsListenerServesOnlyMetricsAndProbes() {
    WebVerticle web = start(List.of("metrics", "web"), "--metrics-port", "0", "--metrics-host", "127.0.0.1");
    int port = web.metricsPort();
    assertThat(port).isPositive().isNotEqualTo(web.httpPort());
    HttpResponse<Buffer> text = get(port, "/metrics");
    assertThat(text.statusCode()).isEqualTo(200);
    assertThat(text.getHeader("content-type")).startsWith("text/plain; version=0.0.4");
    assertThat(text.bodyAsString()).contains("nodepulse_tasks{phase=\"Pending\"} 0.0", "jvm_memory_used_bytes");
    HttpResponse<Buffer> om = client.get(port, "127.0.0.1", "/metrics")
        .putHeader("accept", "application/openmetrics-text; version=1.0.0").send().await();
    assertThat(om.getHeader("content-type")).startsWith("application/openmetrics-text");
    assertThat(om.bodyAsString()).endsWith("# EOF\n");
    assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
    assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
    HttpResponse<Buffer> api = get(port, "/api/v1/sum?a=1");
    assertThat(api.statusCode()).isEqualTo(404);
    assertThat(api.bodyAsJsonObject().getString("error")).isEqualTo("not found");
    assertThat(get(port, "/docs/").statusCode()).isEqualTo(404);
    assertThat(get(web.httpPort(), "/api/v1/sum?a=1").statusCode()).isEqualTo(200);
  }

  @Test
  void kubernetesScrapeAuthIsNeverSilentlyOpen() {
    vertx = Vertx.vertx();
    Config config = Config.forTest(tmp, "--metrics-auth", "kubernetes");
    assertThatThrownBy(() -> vertx.deployVerticle(new WebVerticle(config, List.of("web"))).await())
        .hasMessageContaining("--metrics-auth kubernetes");
  }

  @Test
  void swaggerUiIsServedFromTheWebJar() {
    WebVerticle web = start(List.of("web"));
    HttpResponse<Buffer> page = get(web.httpPort(), "/docs/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.bodyAsString()).contains("/docs/ui/swagger-ui-bundle.js", "/docs/init.js");
    assertThat(get(web.httpPort(), "/docs/init.js").bodyAsString()).contains("/openapi.yaml");
    HttpResponse<Buffer> bundle = get(web.httpPort(), "/docs/ui/swagger-ui-bundle.js");
    assertThat(bundle.statusCode()).isEqualTo(200);
    assertThat(bundle.bodyAsString()).contains("SwaggerUIBundle");
    assertThat(get(web.httpPort(), "/docs/ui/swagger-ui.css").statusCode()).isEqualTo(200);
    HttpResponse<Buffer> yaml = get(web.httpPort(), "/openapi.yaml");
    assertThat(yaml.statusCode()).isEqualTo(200);
    assertThat(yaml.bodyAsString()).startsWith("openapi: 3.");
  }
}

package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host checks (DNS rebinding), the token for changing tasks off loopback, and error bodies without exception texts. */
class ListenerDefencesTest {
  @TempDir Path tmp;
  private Vertx vertx;

  @AfterEach
  void close() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private WebVerticle start(String... flags) {
    vertx = Vertx.vertx();
    Config config = Config.forTest(tmp, flags);
    vertx.deployVerticle(new MetricsVerticle(config)).await();
    WebVerticle web = new WebVerticle(config, List.of("metrics", "web"));
    vertx.deployVerticle(web).await();
    return web;
  }

  private static RawHttp.Reply post(int port, String path, String type, String auth, String body) throws Exception {
    return RawHttp.exchange(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: " + type
        + "\r\n" + (auth == null ? "" : "Authorization: " + auth + "\r\n"), body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aForeignHostIsAnswered421WhileTheAgentsOwnNamesAndPortForwardWork() throws Exception {
    WebVerticle web = start("--allowed-hosts", "agent.example,Other.Example");
    int port = web.httpPort();

    for (String host : List.of("rebind.attacker.example", "rebind.attacker.example:" + port, "127.0.0.1.nip.io")) {
      RawHttp.Reply r = RawHttp.get(port, host, "/api/v1/sum?a=1");
      assertThat(r.status()).as(host).isEqualTo(421);
      JsonObject error = new JsonObject(r.body());
      assertThat(error.getString("error")).contains("does not answer to host");
      assertThat(error.getJsonObject("details").getString("field")).isEqualTo("Host");
    }
    for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "LOCALHOST", "[::1]:" + port,
        "agent.example", "other.example:" + port)) {
      RawHttp.Reply r = RawHttp.get(port, host, "/api/v1/sum?a=1&b=2");
      assertThat(r.status()).as(host).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"sum\":3}");
    }
  }

  @Test
  void theMetricsListenerChecksHostButAcceptsTheMachinesAddressesForScrapes() throws Exception {
    WebVerticle web = start("--metrics-port", "0", "--metrics-host", "127.0.0.1");
    int port = web.metricsPort();
    InetAddress podIp = NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst().orElse(null);

    assertThat(RawHttp.get(port, "rebind.attacker.example:" + port, "/metrics").status()).isEqualTo(421);
    assertThat(RawHttp.get(port, "127.0.0.1:" + port, "/metrics").status()).isEqualTo(200);
    if (podIp != null) {
      assertThat(RawHttp.get(port, podIp.getHostAddress() + ":" + port, "/metrics").status()).isEqualTo(200);
    }
  }

  @Test
  void changingTasksOffLoopbackNeedsTheBearerToken() throws Exception {
    Path token = Files.writeString(tmp.resolve("token"), "s3cret-token\n");
    WebVerticle web = start("--http-host", "0.0.0.0", "--api-token-file", token.toString());
    int port = web.httpPort();

    RawHttp.Reply none = post(port, "/api/v1/tasks", "application/json", null, "{}");
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.headers()).containsIgnoringCase("WWW-Authenticate: Bearer");
    RawHttp.Reply wrong = post(port, "/api/v1/tasks", "application/json", "Bearer s3cret-tokem", "{}");
    assertThat(wrong.status()).isEqualTo(403);
    assertThat(wrong.body()).doesNotContain("s3cret");
    RawHttp.Reply delete = RawHttp.exchange(port, "DELETE /api/v1/tasks/default/x HTTP/1.1\r\nHost: 127.0.0.1\r\n", null);
    assertThat(delete.status()).isEqualTo(401);
    // the right token passes the check: no task concern runs here, so the route itself answers 503
    assertThat(post(port, "/api/v1/tasks", "application/json", "Bearer s3cret-token", "{}").status()).isEqualTo(503);
    // reading needs no token
    assertThat(RawHttp.get(port, "127.0.0.1", "/api/v1/tasks").status()).isEqualTo(503);
  }

  @Test
  void offLoopbackWithoutATokenFileChangingTasksIsRefusedAndOnLoopbackNothingChanges() throws Exception {
    WebVerticle open = start("--http-host", "0.0.0.0");
    assertThat(post(open.httpPort(), "/api/v1/tasks", "application/json", "Bearer anything", "{}").status())
        .isEqualTo(403);
    vertx.close().await();

    WebVerticle loopback = start();
    assertThat(post(loopback.httpPort(), "/api/v1/tasks", "application/json", null, "{}").status()).isEqualTo(503);
  }

  @Test
  void aMultipartSumIs415AndNoErrorBodyCarriesAnExceptionText() throws Exception {
    int port = start().httpPort();
    String noDisposition = "--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--\r\n";

    RawHttp.Reply multipart = post(port, "/api/v1/sum", "multipart/form-data; boundary=b", null, noDisposition);
    assertThat(multipart.status()).isEqualTo(415);
    assertThat(new JsonObject(multipart.body()).getString("error")).contains("JSON");
    RawHttp.Reply form = post(port, "/api/v1/tasks", "application/x-www-form-urlencoded", null, "a=1");
    assertThat(form.status()).isEqualTo(415);

    RawHttp.Reply broken = post(port, "/api/v1/sum", "application/json", null, "{\"a\": 1,\n \"b\": tru}");
    assertThat(broken.status()).isEqualTo(400);
    assertThat(new JsonObject(broken.body()).getJsonObject("details").getInteger("line")).isEqualTo(2);

    for (RawHttp.Reply r : List.of(multipart, form, broken)) {
      assertThat(r.body()).doesNotContain("Exception", "java.", "Failed to decode", "jackson", "at [Source");
    }
  }
}

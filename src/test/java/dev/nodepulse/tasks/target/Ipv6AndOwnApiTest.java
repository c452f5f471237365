package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.web.WebVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Http targets reach IPv6 literals; no target reaches the agent's own API unless allowed by address. */
@ExtendWith(VertxExtension.class)
class Ipv6AndOwnApiTest {
  @TempDir Path dir;

  private static Target.Http get(String url) {
    return new Target.Http(url, "GET", Map.of(), null, Duration.ofSeconds(5), false, 0);
  }

  @Test
  void anHttpTargetReachesAnIpv6LiteralWithTheHostHeaderInBrackets(Vertx vertx) {
    List<String> hosts = new CopyOnWriteArrayList<>();
    HttpServer server = await(vertx.createHttpServer()
        .requestHandler(req -> {
          hosts.add(req.getHeader("Host"));
          req.response().end("six\n");
        }).listen(0, "::1"));
    int port = server.actualPort();
    Targets targets = new Targets(vertx, Config.forTest(dir));
    try {
      RunResult r = await(targets.start(get("http://[::1]:" + port + "/v6"), Map.of(), p -> {}));

      assertThat(r.outcome()).as(String.valueOf(r.error())).isEqualTo(Outcome.SUCCEEDED);
      assertThat(r.result()).isEqualTo("six");
      assertThat(hosts).containsExactly("[::1]:" + port);
    } finally {
      targets.close();
    }
  }

  @Test
  void anIpv6LiteralEmbeddingADeniedIpv4AddressIsDeniedBeforeAnyConnection(Vertx vertx) {
    Targets targets = new Targets(vertx, Config.forTest(dir));
    try {
      for (String url : List.of("http://[::169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/",
          "http://[2002:a9fe:a9fe::1]/", "http://[2001:0:4136:e378:8000:63bf:5601:5601]/")) {
        RunResult r = await(targets.start(get(url), Map.of(), p -> {}));
        assertThat(r.outcome()).as(url).isEqualTo(Outcome.DENIED);
        assertThat(r.error()).as(url).contains("embeds 169.254.169.254").contains("169.254.0.0/16");
      }
      RunResult tcp = await(targets.start(new Target.Tcp("[::ffff:0:a9fe:a9fe]:80", "x", false, Duration.ofSeconds(5)),
          Map.of(), p -> {}));
      assertThat(tcp.outcome()).isEqualTo(Outcome.DENIED);
    } finally {
      targets.close();
    }
  }

  @Test
  void aTaskCannotCallTheAgentsOwnApiUnlessItsAddressIsAllowedExactly(Vertx vertx) {
    Config config = Config.forTest(dir);
    Targets targets = new Targets(vertx, config);
    Targets reopened = new Targets(vertx, Config.forTest(dir, "--destination-allow", "127.0.0.1"));
    WebVerticle web = new WebVerticle(config, List.of("web"));
    await(vertx.deployVerticle(web));
    int port = web.httpPort();
    try {
      for (String url : List.of("http://127.0.0.1:" + port + "/api/v1/tasks", "http://localhost:" + port + "/healthz",
          "http://127.0.0.2:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/", "http://0.0.0.0:" + port + "/")) {
        RunResult r = await(targets.start(new Target.Http(url, "POST", Map.of(), "{}", Duration.ofSeconds(5), false, 0),
            Map.of(), p -> {}));
        assertThat(r.outcome()).as(url).isEqualTo(Outcome.DENIED);
        assertThat(r.error()).as(url).contains("the agent's own listener");
      }
      RunResult tcp = await(targets.start(new Target.Tcp("127.0.0.1:" + port, "GET / HTTP/1.0\r\n\r\n", false,
          Duration.ofSeconds(5)), Map.of(), p -> {}));
      assertThat(tcp.outcome()).isEqualTo(Outcome.DENIED);

      RunResult allowed = await(reopened.start(get("http://127.0.0.1:" + port + "/healthz"), Map.of(), p -> {}));
      assertThat(allowed.httpStatus()).as(String.valueOf(allowed.error())).isNotNull();
    } finally {
      targets.close();
      reopened.close();
    }
  }
}

package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standalone agent has no cluster view and says so, on the list and on a node's paths alike. */
class StandaloneClusterTest {
  @TempDir Path tmp;
  Vertx vertx;

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void theClusterPathsAnswer404SayingThereIsNoClusterViewStandalone() throws Exception {
    vertx = Vertx.vertx();
    WebVerticle web = new WebVerticle(Config.forTest(tmp), List.of("web"));
    vertx.deployVerticle(web).await();
    for (String path : List.of("/api/v1/cluster/nodes", "/api/v1/cluster/nodes/node-2/cpu")) {
      RawHttp.Reply r = RawHttp.get(web.httpPort(), "127.0.0.1", path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(new JsonObject(r.body())).isEqualTo(new JsonObject().put("error", "no cluster view in standalone mode")
          .put("details", new JsonObject().put("mode", "standalone")));
    }
  }
}

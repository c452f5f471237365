package dev.nodepulse.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.web.ScrapeAuth;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The peer endpoint's authorization decisions, against a stand-in API server that answers TokenReviews (token
 * {@code agent} and {@code scraper} are users, anything else is not) and SubjectAccessReviews (only the agents'
 * ServiceAccount may get {@code /nodepulse/peer}; the scraper only {@code /metrics}).
 */
class PeerRoutesTest {
  private static final String AGENT = "system:serviceaccount:nodepulse:nodepulse";
  private static final String SCRAPER = "system:serviceaccount:monitoring:prometheus";

  private Vertx vertx;
  private ScrapeAuth auth;
  private WebClient web;
  private int port;
  private final List<String> reviewedPaths = new CopyOnWriteArrayList<>();
  private final List<String> nodeApiWrites = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Router api = Router.router(vertx);
    api.post("/apis/authentication.k8s.io/v1/tokenreviews").handler(ctx -> ctx.request().body().onSuccess(b -> {
      String token = b.toJsonObject().getJsonObject("spec").getString("token");
      String user = switch (token) {
        case "agent" -> AGENT;
        case "scraper" -> SCRAPER;
        default -> null;
      };
      JsonObject status = user == null ? new JsonObject().put("authenticated", false)
          : new JsonObject().put("authenticated", true).put("user", new JsonObject().put("username", user)
              .put("groups", new JsonArray().add("system:serviceaccounts")));
      ctx.json(new JsonObject().put("apiVersion", "authentication.k8s.io/v1").put("kind", "TokenReview")
          .put("status", status));
    }));
    api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews").handler(ctx -> ctx.request().body().onSuccess(b -> {
      JsonObject spec = b.toJsonObject().getJsonObject("spec");
      String path = spec.getJsonObject("nonResourceAttributes").getString("path");
      reviewedPaths.add(path);
      boolean allowed = AGENT.equals(spec.getString("user")) && "/nodepulse/peer".equals(path)
          || SCRAPER.equals(spec.getString("user")) && "/metrics".equals(path);
      ctx.json(new JsonObject().put("apiVersion", "authorization.k8s.io/v1").put("kind", "SubjectAccessReview")
          .put("status", new JsonObject().put("allowed", allowed)));
    }));
    HttpServer apiServer = vertx.createHttpServer().requestHandler(api).listen(0, "127.0.0.1").await();
    Config kube = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + apiServer.actualPort()).build();
    auth = ScrapeAuth.create(vertx, PeerRoutes.PEER_URL, kube);

    vertx.eventBus().<JsonObject>consumer(SamplerVerticle.LATEST, m -> m.reply(new JsonObject()
        .put("sampledAt", "2026-12-04T20:00:00Z")
        .put("cpu", new JsonObject().put("percent", 42.5).put("avg1m", 40.1)
            .put("load", new JsonObject().put("1m", 1.25).put("5m", 1.0).put("15m", 0.5)))
        .put("memory", new JsonObject().put("totalBytes", 8000).put("usedBytes", 3000).put("availableBytes", 5000))));
    Router router = Router.router(vertx);
    Router nodeApi = Router.router(vertx); // stands for the node's own REST: a read and a write
    nodeApi.get("/api/v1/cpu").handler(ctx -> ctx.json(new JsonObject().put("percent", 42.5)));
    nodeApi.get("/api/v1/sum").handler(ctx -> ctx.json(new JsonObject().put("sum", 0)));
    nodeApi.post("/api/v1/tasks").handler(ctx -> {
      nodeApiWrites.add(ctx.request().path());
      ctx.response().setStatusCode(201).end();
    });
    PeerRoutes.mount(router, auth, nodeApi);
    port = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await().actualPort();
    web = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    auth.close();
    vertx.close().await();
  }

  private HttpResponse<Buffer> summary(String token) {
    var req = web.get(port, "127.0.0.1", "/peer/v1/summary");
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return req.send().await();
  }

  @Test
  void noTokenIs401() {
    HttpResponse<Buffer> r = summary(null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("details"))
        .isEqualTo("a bearer token the API server accepts is needed for /nodepulse/peer");
    assertThat(reviewedPaths).as("nothing to review").isEmpty();
  }

  @Test
  void aTokenTheApiServerDoesNotKnowIs401() {
    HttpResponse<Buffer> r = summary("forged");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.getHeader("www-authenticate")).isEqualTo("Bearer realm=\"nodepulse\"");
  }

  @Test
  void aScrapeIdentityMayNotGetThePeerUrl() {
    HttpResponse<Buffer> r = summary("scraper");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getString("details")).isEqualTo("the token's user may not get /nodepulse/peer");
    assertThat(reviewedPaths).containsExactly("/nodepulse/peer");
  }

  @Test
  void theAgentsIdentityIsServedThisNodesFigures() {
    HttpResponse<Buffer> r = summary("agent");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("percent", 42.5).put("avg1m", 40.1)
        .put("load", 1.25).put("memory", new JsonObject().put("totalBytes", 8000).put("usedBytes", 3000))
        .put("sampledAt", "2026-12-04T20:00:00Z"));
    assertThat(summary("agent").statusCode()).isEqualTo(200);
    assertThat(reviewedPaths).as("an allowed review is cached").containsExactly("/nodepulse/peer");
  }

  private HttpResponse<Buffer> node(io.vertx.core.http.HttpMethod method, String path, String token) {
    var req = web.request(method, port, "127.0.0.1", path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return req.send().await();
  }

  @Test
  void theAgentsIdentityReadsTheNodesOwnRestForTheAllowedPathsOnly() {
    HttpResponse<Buffer> cpu = node(io.vertx.core.http.HttpMethod.GET, "/peer/v1/node/api/v1/cpu", "agent");
    assertThat(cpu.statusCode()).isEqualTo(200);
    assertThat(cpu.bodyAsJsonObject().getDouble("percent")).isEqualTo(42.5);
    HttpResponse<Buffer> other = node(io.vertx.core.http.HttpMethod.GET, "/peer/v1/node/api/v1/sum", "agent");
    assertThat(other.statusCode()).as("a path off the allow-list").isEqualTo(404);
    assertThat(other.bodyAsJsonObject().getString("error")).isEqualTo("not a path peers may read");
    HttpResponse<Buffer> post = node(io.vertx.core.http.HttpMethod.POST, "/peer/v1/node/api/v1/tasks", "agent");
    assertThat(post.statusCode()).as("nothing on the pod IP changes tasks").isEqualTo(405);
    assertThat(post.getHeader("allow")).isEqualTo("GET");
    assertThat(nodeApiWrites).isEmpty();
  }

  @Test
  void theNodesOwnRestIsRefusedToAScrapeIdentityAndWithoutAToken() {
    assertThat(node(io.vertx.core.http.HttpMethod.GET, "/peer/v1/node/api/v1/cpu", "scraper").statusCode())
        .isEqualTo(403);
    assertThat(node(io.vertx.core.http.HttpMethod.GET, "/peer/v1/node/api/v1/cpu", null).statusCode()).isEqualTo(401);
    assertThat(node(io.vertx.core.http.HttpMethod.POST, "/peer/v1/node/api/v1/tasks", null).statusCode())
        .as("refused before the method is looked at").isEqualTo(401);
  }
}

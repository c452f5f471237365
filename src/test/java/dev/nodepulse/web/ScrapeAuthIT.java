package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.cluster.PeerRoutes;
import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.ship.KubeTools;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --metrics-auth kubernetes} against a real API server, with the chart's own RBAC: the agent
 * reviews with its ServiceAccount bound to the chart's ClusterRole; a scraper's token bound to the
 * chart's metrics-reader ClusterRole gets 200, another ServiceAccount's 403, no or a garbage token 401. The
 * peer endpoint: only the agents' own ServiceAccount (the chart's ClusterRole) may get {@code /nodepulse/peer}.
 */
@EnableKubeAPIServer(kubeAPIVersion = "1.34.4", apiServerFlags = {"--advertise-address", "127.0.0.1"})
class ScrapeAuthIT {
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path tmp;

  /** Injected by kube-api-test (admin), closed after the class. */
  static KubernetesClient admin;
  static Vertx vertx;
  static ScrapeAuth auth;
  static int port;
  static String scraperToken;
  static String strangerToken;
  static String scraperTokenForJar;
  static final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-30T00:00:00Z"));
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void setUp() throws Exception {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("nodepulse").endMetadata().build()).create();
    // the chart's ServiceAccount, agent ClusterRole + binding and metrics-reader ClusterRole, as rendered
    String rendered = KubeTools.helm(tmp.resolve("helm"), "template", "nodepulse", KubeTools.CHART.toString(),
        "--namespace", "nodepulse",
        "--show-only", "templates/serviceaccount.yaml", "--show-only", "templates/clusterrole.yaml",
        "--show-only", "templates/clusterrolebinding.yaml",
        "--show-only", "templates/metrics-reader-clusterrole.yaml").ok();
    List<HasMetadata> objects = admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
    assertThat(objects).extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ClusterRole");
    objects.forEach(o -> admin.resource(o).create());

    for (String sa : List.of("scraper", "jar-scraper", "stranger")) {
      admin.serviceAccounts().inNamespace("nodepulse")
          .resource(new ServiceAccountBuilder().withNewMetadata().withName(sa).endMetadata().build()).create();
    }
    for (String sa : List.of("scraper", "jar-scraper")) {
      admin.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder()
          .withNewMetadata().withName(sa + "-reads-metrics").endMetadata()
          .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
          .withName("nodepulse-metrics-reader").endRoleRef()
          .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace("nodepulse").endSubject()
          .build()).create();
    }
    scraperToken = token("scraper");
    scraperTokenForJar = token("jar-scraper");
    strangerToken = token("stranger");

    // the agent's client: its own ServiceAccount's token, so only the chart's ClusterRole lets it review
    io.fabric8.kubernetes.client.Config adminConfig = admin.getConfiguration();
    KubernetesClient agentClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder(adminConfig)
        .withClientCertData(null).withClientCertFile(null).withClientKeyData(null).withClientKeyFile(null)
        .withOauthToken(token("nodepulse"))
        .build()).build();

    vertx = Vertx.vertx();
    Clock clock = new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now.get();
      }
    };
    auth = new ScrapeAuth(vertx, agentClient, clock, 3);
    Config config = Config.forTest(tmp.resolve("data"), "--metrics-auth", "kubernetes", "--metrics-port", "0",
        "--metrics-host", "127.0.0.1");
    vertx.deployVerticle(new MetricsVerticle(config)).await();
    WebVerticle web = new WebVerticle(config, List.of("web"), auth);
    vertx.deployVerticle(web).await();
    port = web.metricsPort();
  }

  @AfterAll
  static void tearDown() {
    if (vertx != null) {
      vertx.close().await();
    }
    if (auth != null) {
      auth.close();
    }
  }

  static String token(String serviceAccount) {
    return admin.serviceAccounts().inNamespace("nodepulse").withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
  }

  static HttpResponse<String> scrape(String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePackagedAgentChecksScrapesWithTheClientFromItsKubeconfig() throws Exception {
    // the agent's kubeconfig: the admin's cluster, the agent ServiceAccount's token as the user
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode kc = (ObjectNode) yaml.readTree(kubeConfigYaml);
    ObjectNode user = (ObjectNode) kc.path("users").get(0);
    user.putObject("user").put("token", token("nodepulse"));
    Path kubeconfig = tmp.resolve("agent-kubeconfig");
    yaml.writeValue(kubeconfig.toFile(), kc);

    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"), "--http-port", "0",
        "--data-dir", tmp.resolve("jar-data").toString(), "--metrics-auth", "kubernetes").redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    Process p = pb.start();
    try {
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Integer> jarPort = new CompletableFuture<>();
      StringBuilder out = new StringBuilder();
      Thread.ofPlatform().daemon().start(() -> {
        Pattern serving = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/");
        try {
          for (String line; (line = r.readLine()) != null; ) {
            synchronized (out) {
              out.append(line).append('\n');
            }
            Matcher m = serving.matcher(line);
            if (m.find()) {
              jarPort.complete(Integer.parseInt(m.group(1)));
            }
          }
          jarPort.completeExceptionally(new AssertionError("agent exited before serving:\n" + out));
        } catch (IOException e) {
          jarPort.completeExceptionally(e);
        }
      });
      int agentPort = jarPort.get(60, TimeUnit.SECONDS);
      URI metrics = URI.create("http://127.0.0.1:" + agentPort + "/metrics");
      assertThat(http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(401);
      assertThat(http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer " + strangerToken).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
      HttpResponse<String> ok = http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer " + scraperTokenForJar).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).as("agent output:\n%s", out).isEqualTo(200);
      assertThat(ok.body()).contains("# TYPE jvm_threads_current gauge");
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void onlyTheAgentsServiceAccountMayReadPeers() throws Exception {
    // the peer endpoint behind its own review of /nodepulse/peer, with the agent's client, as Agent mounts it
    ScrapeAuth peerAuth = ScrapeAuth.create(vertx, PeerRoutes.PEER_URL, new ConfigBuilder(admin.getConfiguration())
        .withClientCertData(null).withClientCertFile(null).withClientKeyData(null).withClientKeyFile(null)
        .withOauthToken(token("nodepulse")).build());
    var latest = vertx.eventBus().<JsonObject>consumer(SamplerVerticle.LATEST, m -> m.reply(new JsonObject()
        .put("sampledAt", "2026-11-30T00:00:00Z").put("cpu", new JsonObject().put("percent", 12.5))));
    Router router = Router.router(vertx);
    PeerRoutes.mount(router, peerAuth, Router.router(vertx));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    try {
      URI summary = URI.create("http://127.0.0.1:" + server.actualPort() + "/peer/v1/summary");
      java.util.function.Function<String, HttpResponse<String>> get = token -> {
        try {
          return http.send(HttpRequest.newBuilder(summary).header("Authorization", "Bearer " + token).build(),
              HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      HttpResponse<String> agent = get.apply(token("nodepulse"));
      assertThat(agent.statusCode()).as(agent.body()).isEqualTo(200);
      assertThat(new JsonObject(agent.body()).getDouble("percent")).isEqualTo(12.5);
      assertThat(get.apply(scraperTokenForJar).statusCode()).as("a scrape identity cannot read peers").isEqualTo(403);
      assertThat(get.apply(strangerToken).statusCode()).as("a foreign ServiceAccount").isEqualTo(403);
      assertThat(get.apply("not-a-token").statusCode()).isEqualTo(401);
    } finally {
      server.close().await();
      latest.unregister().await();
      peerAuth.close();
    }
  }

  @Test
  void tokensAreReviewedCachedBrieflyAndTheCacheIsBounded() throws Exception {
    HttpResponse<String> none = scrape(null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(scrape("Basic dXNlcjpwYXNz").statusCode()).as("not a bearer token").isEqualTo(401);
    assertThat(scrape("Bearer not-a-token").statusCode()).as("garbage token").isEqualTo(401);

    HttpResponse<String> allowed = scrape("Bearer " + scraperToken);
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(allowed.body()).contains("# TYPE jvm_threads_current gauge");

    HttpResponse<String> forbidden = scrape("Bearer " + strangerToken);
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(forbidden.body()).contains("\"error\":\"forbidden\"").doesNotContain("jvm_");

    // the probes on the same listener need no token (the kubelet has none)
    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

    // unbound: the cached answer holds until it expires, then the user is refused
    admin.rbac().clusterRoleBindings().withName("scraper-reads-metrics").delete();
    assertThat(scrape("Bearer " + scraperToken).statusCode()).as("cached for a while").isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      now.updateAndGet(t -> t.plus(ScrapeAuth.ALLOWED_TTL).plusSeconds(1));
      return scrape("Bearer " + scraperToken).statusCode() == 403;
    });

    // bounded: many tokens never hold more than the bound (3 here)
    for (int i = 0; i < 6; i++) {
      assertThat(scrape("Bearer garbage-" + i).statusCode()).isEqualTo(401);
      assertThat(auth.cacheSize()).isLessThanOrEqualTo(3);
    }
    assertThat(auth.cacheSize()).isEqualTo(3);
  }
}

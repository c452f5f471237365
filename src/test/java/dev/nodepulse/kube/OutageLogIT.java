package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An API-server outage in the log: one WARN line when it starts, one INFO line when it ends; no line per task and
 * second, no stack trace, no internal record's text (the agent reaches the API server through a proxy the test
 * cuts, with two tasks due every second that need a claim).
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class OutageLogIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;

  @Test
  void anOutageIsOneWarnLineWhenItStartsAndOneInfoLineWhenItEnds() throws Exception {
    TestCluster.installCrd(client);
    OutageScenario.Proxied proxied = OutageScenario.proxied(dir, kubeConfigYaml);
    int apiPort = proxied.apiPort();
    int proxyPort = proxied.proxyPort();
    Path kubeconfig = proxied.kubeconfig();
    Vertx vertx = Vertx.vertx();
    AtomicInteger hits = new AtomicInteger();
    HttpServer target = vertx.createHttpServer().requestHandler(req -> {
      hits.incrementAndGet();
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    KubeIT.Proxy proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);
    System.setProperty("kubeconfig", kubeconfig.toString());
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Agent agent = null;
    try {
      agent = Agent.start(Config.forTest(Files.createDirectories(dir.resolve("data")), "--mode", "kubernetes",
          "--node-name", "node-o", "--lease-duration", "3s")).await(60, TimeUnit.SECONDS);
      Agent a = agent;
      WebClient web = WebClient.create(vertx);
      java.util.function.Supplier<JsonObject> health = () -> web.get(a.httpPort(), "127.0.0.1", "/readyz").send()
          .await().bodyAsJsonObject().getJsonObject("components").getJsonObject("kubernetes");
      await().atMost(90, TimeUnit.SECONDS).until(() -> health.get().getBoolean("ready"));
      for (String name : List.of("one", "two")) {
        assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
            apiVersion: nodepulse.dev/v1alpha1
            kind: DelayedTask
            metadata: {name: %s, namespace: default}
            spec:
              every: 1s
              target: {http: {url: "http://127.0.0.1:%d/%s"}}
            """.formatted(name, target.actualPort(), name)).exitCode()).isZero();
      }
      await().atMost(60, TimeUnit.SECONDS).until(() -> hits.get() >= 4);

      logs.start();
      root.addAppender(logs);
      proxy.close();
      Instant cut = Instant.now();
      await().atMost(60, TimeUnit.SECONDS).until(() -> "down".equals(health.get().getString("state")));
      // the two tasks fall due about ten times each while the API server is away
      await().atMost(60, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(cut.plusSeconds(10)));
      proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);
      int before = hits.get();
      await().atMost(90, TimeUnit.SECONDS).until(() -> health.get().getBoolean("ready") && hits.get() >= before + 4);
      root.detachAppender(logs);

      List<ILoggingEvent> warnings = logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .toList();
      assertThat(warnings).as(warnings.stream().map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
          .toList().toString()).hasSize(1);
      assertThat(warnings.get(0).getLevel()).isEqualTo(Level.WARN);
      assertThat(warnings.get(0).getFormattedMessage()).startsWith("API server away: ").doesNotContain("\n");
      assertThat(logs.list).as("no stack trace").allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
      assertThat(logs.list).as("no internal record").noneSatisfy(e -> assertThat(e.getFormattedMessage())
          .containsAnyOf("Taken[", "Granted[", "holder="));
      assertThat(logs.list.stream().map(ILoggingEvent::getFormattedMessage))
          .anySatisfy(m -> assertThat(m).startsWith("API server back after "));
    } finally {
      root.detachAppender(logs);
      if (agent != null) {
        agent.stop().await();
      }
      proxy.close();
      vertx.close().await();
      System.clearProperty("kubeconfig");
    }
  }
}

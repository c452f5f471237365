package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs made while the API server is away have their Events once it is back: a {@code nodes: all} DelayedTask and a
 * ConfigMap task every 2 s on one agent whose way to the API server is cut for a while; afterwards the Events of each
 * task count every run it made (an Event's {@code count}: the runs it stands for), those of the outage included;
 * Events are written at least once, not exactly once.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class OutageEventsIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;

  /** The runs each task's Events stand for: the sum of their counts, by involved object name. */
  static Map<String, Integer> eventCounts() {
    List<Event> events = client.v1().events().inNamespace("default").list().getItems();
    return events.stream().filter(e -> e.getReason().startsWith("Run"))
        .collect(Collectors.groupingBy(e -> e.getInvolvedObject().getName(),
            Collectors.summingInt(e -> e.getCount() == null ? 1 : e.getCount())));
  }

  @Test
  void runsMadeWhileTheApiServerWasAwayHaveTheirEventsWhenItIsBack() throws Exception {
    TestCluster.installCrd(client);
    OutageScenario.Proxied proxied = OutageScenario.proxied(dir, kubeConfigYaml);
    int apiPort = proxied.apiPort();
    int proxyPort = proxied.proxyPort();
    Path kubeconfig = proxied.kubeconfig();
    Vertx vertx = Vertx.vertx();
    List<String> hits = new CopyOnWriteArrayList<>();
    HttpServer target = vertx.createHttpServer().requestHandler(req -> {
      hits.add(req.path());
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    KubeIT.Proxy proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);
    System.setProperty("kubeconfig", kubeconfig.toString());
    Agent agent = null;
    try {
      agent = Agent.start(Config.forTest(Files.createDirectories(dir.resolve("node-x")), "--mode", "kubernetes",
          "--node-name", "node-x", "--lease-duration", "3s")).await(60, TimeUnit.SECONDS);
      Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
      assertThat(kubectl.apply("""
          apiVersion: nodepulse.dev/v1alpha1
          kind: DelayedTask
          metadata: {name: probe, namespace: default}
          spec:
            every: 2s
            nodes: all
            target: {http: {url: "http://127.0.0.1:%d/probe"}}
          ---
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: shop-tasks
            namespace: default
            labels: {nodepulse.dev/tasks: "true"}
          data:
            ping: |
              every: 2s
              nodes: all
              target: {http: {url: "http://127.0.0.1:%d/ping"}}
          """.formatted(target.actualPort(), target.actualPort())).exitCode()).isZero();
      await().atMost(60, TimeUnit.SECONDS).until(() -> hits.stream().filter("/probe"::equals).count() >= 2
          && hits.stream().filter("/ping"::equals).count() >= 2);

      proxy.close(); // the API server is away; the runs go on
      int before = hits.size();
      await().atMost(60, TimeUnit.SECONDS).until(() -> hits.size() >= before + 8);
      proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);

      await().atMost(60, TimeUnit.SECONDS).until(() -> hits.size() >= before + 12); // back, and running
      assertThat(kubectl.run(null, "delete", "delayedtask", "probe", "-n", "default").exitCode()).isZero();
      assertThat(kubectl.run(null, "delete", "configmap", "shop-tasks", "-n", "default").exitCode()).isZero();
      int probes = awaitSettled(hits, "/probe");
      int pings = awaitSettled(hits, "/ping");
      // every run has its Event (an Event whose write was cut as the API server went away may have been stored
      // and is then written again: at most one more per task at each cut)
      await().atMost(120, TimeUnit.SECONDS).untilAsserted(() -> {
        Map<String, Integer> counts = eventCounts();
        assertThat(counts.getOrDefault("probe", 0)).as("Events of the DelayedTask's %d runs", probes)
            .isBetween(probes, probes + 1);
        assertThat(counts.getOrDefault("shop-tasks", 0)).as("Events of the ConfigMap task's %d runs", pings)
            .isBetween(pings, pings + 1);
      });
    } finally {
      if (agent != null) {
        agent.stop().await();
      }
      proxy.close();
      vertx.close().await();
      System.clearProperty("kubeconfig");
    }
  }

  /** The number of requests to {@code path} once none has come for 6 s (the task was deleted). */
  static int awaitSettled(List<String> hits, String path) {
    int[] last = {-1};
    await().atMost(60, TimeUnit.SECONDS).pollInterval(6, TimeUnit.SECONDS).until(() -> {
      int n = (int) hits.stream().filter(path::equals).count();
      boolean settled = n == last[0];
      last[0] = n;
      return settled;
    });
    return last[0];
  }
}

package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents reach the API server through a proxy that the test cuts and restores (to the agents, what an API
 * server restart looks like: requests refused, watches broken). A run due during the outage runs once when the
 * API server is back; a task every 2 s records each due time once, one per request it sent.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class OutageIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;

  @Test
  void aRunDueDuringAnOutageRunsOnceWhenTheApiServerIsBack() throws Exception {
    TestCluster.installCrd(client);
    OutageScenario.Proxied proxied = OutageScenario.proxied(dir, kubeConfigYaml);
    int apiPort = proxied.apiPort();
    int proxyPort = proxied.proxyPort();
    Path kubeconfig = proxied.kubeconfig();
    Vertx vertx = Vertx.vertx();
    OutageScenario scenario = new OutageScenario(vertx);
    List<String> hits = scenario.hits;
    AtomicInteger every = scenario.every;
    KubeIT.Proxy proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);
    System.setProperty("kubeconfig", kubeconfig.toString());
    List<Agent> agents = new ArrayList<>();
    try {
      OutageScenario.startTwoAgents(dir, agents);
      await().atMost(90, TimeUnit.SECONDS).until(() -> client.leases().inNamespace("default").list().getItems()
          .size() == 2);
      Instant at = Instant.now().plusSeconds(20).truncatedTo(ChronoUnit.SECONDS);
      Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
      assertThat(kubectl.apply(scenario.tasks(at, "1m")).exitCode()).isZero();
      await().atMost(60, TimeUnit.SECONDS).until(() -> every.get() >= 2);
      ResultsByRequest results = new ResultsByRequest(client, "default", "every");
      Map<Integer, String> recorded = results.recorded;
      await().atMost(60, TimeUnit.SECONDS).until(() -> !recorded.isEmpty());
      int first = recorded.keySet().stream().mapToInt(Integer::intValue).min().orElseThrow();

      await().atMost(30, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(at.minusSeconds(4)));
      proxy.close(); // the API server is away across the due time
      await().atMost(30, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(at.plusSeconds(3)));
      assertThat(hits).as("nobody can claim it while the API server is away").doesNotContain("/during");
      proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);

      await().atMost(60, TimeUnit.SECONDS).until(() -> hits.contains("/during"));
      await().atMost(60, TimeUnit.SECONDS).until(() -> {
        DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default")
            .withName("during").get();
        return t.getStatus() != null && t.getStatus().lastRun != null;
      });
      int last = every.get() + 3;
      await().atMost(60, TimeUnit.SECONDS).until(() -> recorded.containsKey(last));
      // a result whose write the outage cut is written when the API server is back, on its retry's backoff (up to
      // 8 s), which can come after later results: it is counted then (status.runs), and lastRun stays the later run
      // (so not every request is seen as lastRun); every request is one run (the target always answers 200)
      await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> assertThat(runsCounted(client))
          .as("runs counted in status against requests made (results seen as lastRun, request -> due time: %s)",
              new java.util.TreeMap<>(recorded))
          .isEqualTo(every.get()));
      client.resources(DelayedTaskResource.class).inNamespace("default").withName("every").delete();
      results.close();
      assertThat(hits.stream().filter("/during"::equals)).as("once").hasSize(1);
      assertThat(recorded.keySet()).as("the results seen as lastRun, from the first watched to the last")
          .contains(first, last);
      assertThat(List.copyOf(recorded.values())).as("each due time run once").doesNotHaveDuplicates();
    } finally {
      for (Agent a : agents) {
        a.stop().await();
      }
      proxy.close();
      vertx.close().await();
      System.clearProperty("kubeconfig");
    }
  }

  private static long runsCounted(io.fabric8.kubernetes.client.KubernetesClient client) {
    DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default").withName("every").get();
    return t == null || t.getStatus() == null || t.getStatus().runs == null ? 0 : t.getStatus().runs;
  }
}

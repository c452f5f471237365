package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every due time accounted for across an API-server outage: two agents reach the API server through a proxy the
 * test cuts for 20 s; for a task every 2 s, runs + missed in status equals the due times from before the outage to
 * after it, and one Warning Event (RunsMissed) names the burst of due times nobody could claim.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class MissedRunsIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;

  static Status status() {
    DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default").withName("every").get();
    return t == null ? null : t.getStatus();
  }

  static long n(Long v) {
    return v == null ? 0 : v;
  }

  static List<Event> missedEvents() {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> "RunsMissed".equals(e.getReason()) && "every".equals(e.getInvolvedObject().getName())).toList();
  }

  @Test
  void afterAnOutageRunsPlusMissedAreTheDueTimesAndOneEventNamesTheMissedBurst() throws Exception {
    TestCluster.installCrd(client);
    OutageScenario.Proxied proxied = OutageScenario.proxied(dir, kubeConfigYaml);
    int apiPort = proxied.apiPort();
    int proxyPort = proxied.proxyPort();
    Path kubeconfig = proxied.kubeconfig();
    Vertx vertx = Vertx.vertx();
    OutageScenario scenario = new OutageScenario(vertx);
    KubeIT.Proxy proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);
    System.setProperty("kubeconfig", kubeconfig.toString());
    List<Agent> agents = new ArrayList<>();
    try {
      OutageScenario.startTwoAgents(dir, agents);
      await().atMost(90, TimeUnit.SECONDS).until(() -> client.leases().inNamespace("default").list().getItems()
          .size() == 2);
      Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
      assertThat(kubectl.apply("""
          apiVersion: nodepulse.dev/v1alpha1
          kind: DelayedTask
          metadata: {name: every, namespace: default}
          spec:
            every: 2s
            target: {http: {url: "http://127.0.0.1:%d/every"}}
          """.formatted(scenario.target.actualPort())).exitCode()).isZero();
      await().atMost(60, TimeUnit.SECONDS).until(() -> scenario.every.get() >= 3 && status() != null
          && status().lastRun != null);
      Status before = status();
      Instant from = Instant.parse(before.lastRun.dueAt);

      proxy.close(); // the API server is away for 20 s: nobody can claim the due times meanwhile
      Instant cut = Instant.now();
      await().atMost(60, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(cut.plusSeconds(20)));
      proxy = new KubeIT.Proxy(vertx, proxyPort, apiPort);

      // every due time from the one run before the outage to the latest one recorded is run or MISSED
      await().atMost(120, TimeUnit.SECONDS).until(() -> {
        Status s = status();
        if (s == null || s.lastRun == null || n(s.missed) == n(before.missed)) {
          return false;
        }
        long dueTimes = Duration.between(from, Instant.parse(s.lastRun.dueAt)).toSeconds() / 2;
        return Instant.parse(s.lastRun.dueAt).isAfter(cut.plusSeconds(20))
            && (n(s.runs) - n(before.runs)) + (n(s.missed) - n(before.missed)) == dueTimes;
      });
      Status after = status();
      // the outage, and the seconds until the agents see each other's renewed Leases again and can claim
      assertThat(after.missed - n(before.missed)).as("due times of a 20 s outage, every 2 s").isBetween(5L, 20L);
      assertThat(after.lastMissed.reason).contains("no agent could claim them in time");
      await().atMost(60, TimeUnit.SECONDS).until(() -> !missedEvents().isEmpty());
      List<Event> events = missedEvents();
      assertThat(events).as("one Event for the burst, not one per due time").hasSize(1);
      assertThat(events.getFirst().getType()).isEqualTo("Warning");
      assertThat(events.getFirst().getMessage()).contains(after.lastMissed.count + " due times MISSED")
          .contains(after.lastMissed.from);
    } finally {
      for (Agent a : agents) {
        a.stop().await();
      }
      proxy.close();
      vertx.close().await();
      System.clearProperty("kubeconfig");
    }
  }
}

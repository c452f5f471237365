package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spec.ttlAfterFinished on a real API server with two whole agents: a one-shot DelayedTask with {@code
 * ttlAfterFinished: 2s} runs once and is deleted no sooner than 2 s after it finished, by exactly one agent (one
 * delete the API server accepted); one without it stays; {@code kubectl apply} refuses it on a recurring task.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class TtlAfterFinishedIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static final List<Agent> agents = new ArrayList<>();
  static Vertx vertx;
  static HttpServer target;
  static Kubectl kubectl;
  static final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    kubectl = new Kubectl(dir, kubeConfigYaml);
    TestCluster.useKubeconfig(dir, kubeConfigYaml);
    vertx = Vertx.vertx();
    target = vertx.createHttpServer().requestHandler(req -> {
      hits.computeIfAbsent(req.path(), p -> new AtomicInteger()).incrementAndGet();
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    agents.addAll(TestCluster.agents(dir, vertx, "node-1", "node-2"));
  }

  @AfterAll
  static void stop() {
    TestCluster.stop(agents, vertx);
  }

  static Kubectl.Result apply(String name, String spec) throws Exception {
    return kubectl.apply("apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: " + name
        + ", namespace: default}\nspec:\n  " + spec + "\n  target: {http: {url: \"http://127.0.0.1:"
        + target.actualPort() + "/" + name + "\"}}\n");
  }

  static DelayedTaskResource get(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  static int hits(String name) {
    AtomicInteger n = hits.get("/" + name);
    return n == null ? 0 : n.get();
  }

  @Test
  void aFinishedOneShotIsDeletedOnceItsTtlHasPassedByOneAgent() throws Exception {
    long deletedBefore = FinishedTasks.DELETED.get();
    Kubectl.Result kept = apply("kept", "delay: 1s");
    assertThat(kept.exitCode()).as(kept.err()).isZero();
    Kubectl.Result brief = apply("brief", "delay: 1s\n  ttlAfterFinished: 2s");
    assertThat(brief.exitCode()).as(brief.err()).isZero();

    AtomicReference<Instant> finished = new AtomicReference<>();
    await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> {
      DelayedTaskResource r = get("brief");
      if (r == null) {
        return true;
      }
      Status st = r.getStatus();
      if (st != null && st.lastRun != null && st.lastRun.finishedAt != null) {
        finished.set(Instant.parse(st.lastRun.finishedAt));
      }
      return false;
    });
    Instant gone = Instant.now();
    assertThat(hits("brief")).as("it ran, once").isEqualTo(1);
    assertThat(finished.get()).as("its finish was seen in status before it went").isNotNull();
    // deleted no sooner than its ttl after it finished (the status' times are the agents', on this machine)
    assertThat(Duration.between(finished.get(), gone)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    // exactly one delete was accepted, and it stays gone
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(30))
        .until(() -> FinishedTasks.DELETED.get() - deletedBefore == 1 && get("brief") == null);

    await().atMost(120, TimeUnit.SECONDS).until(() -> get("kept") != null && get("kept").getStatus() != null
        && get("kept").getStatus().phase == Status.Phase.Succeeded);
    assertThat(hits("kept")).isEqualTo(1);
    assertThat(get("kept")).as("without ttlAfterFinished a finished task stays").isNotNull();
  }

  @Test
  void aRecurringTaskWithATtlIsRefusedAtApply() throws Exception {
    Kubectl.Result r = apply("hourly", "every: 1h\n  ttlAfterFinished: 1m");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("ttlAfterFinished is only accepted for a one-shot task (delay or at)");
    assertThat(get("hourly")).isNull();
  }
}

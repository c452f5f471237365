package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.run.Jitter;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * status.nextRunAt and status.nextRuns written by two whole agents on a real API server: the {@code NEXT RUN} column
 * of {@code kubectl get dtask} is filled before the first run (from when the spec was written) and after each run,
 * and a jittered {@code nodes: one} task's due times (its claims' keys) are the jittered ones on every agent.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class NextRunsIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static final List<Agent> agents = new ArrayList<>();
  static Vertx vertx;
  static HttpServer target;
  static Kubectl kubectl;

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    kubectl = new Kubectl(dir, kubeConfigYaml);
    TestCluster.useKubeconfig(dir, kubeConfigYaml);
    vertx = Vertx.vertx();
    target = vertx.createHttpServer().requestHandler(req -> req.response().end("ok")).listen(0, "127.0.0.1").await();
    agents.addAll(TestCluster.agents(dir, vertx, "node-1", "node-2"));
  }

  @AfterAll
  static void stop() {
    TestCluster.stop(agents, vertx);
  }

  /** Applies a DelayedTask {@code name} with the given timing lines, whose runs call the test's target. */
  static void apply(String name, String timing) throws Exception {
    Kubectl.Result r = kubectl.apply("apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: " + name
        + ", namespace: default}\nspec:\n  " + timing + "\n  target: {http: {url: \"http://127.0.0.1:"
        + target.actualPort() + "/" + name + "\"}}\n");
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  static DelayedTaskResource get(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  static List<Instant> nextRuns(Status st) {
    return st.nextRuns.stream().map(Instant::parse).toList();
  }

  /** The row of {@code kubectl get dtask <name>}, by column: NEXT RUN is the task's status.nextRunAt. */
  static String nextRunColumn(String name) throws Exception {
    Kubectl.Result r = kubectl.run(null, "get", "dtask", "-n", "default", name);
    assertThat(r.exitCode()).as(r.err()).isZero();
    String[] lines = r.out().strip().split("\n");
    List<String> header = List.of(lines[0].split("\\s{2,}"));
    String[] row = lines[1].split("\\s{2,}");
    assertThat(header).contains("NEXT RUN");
    return row[header.indexOf("NEXT RUN")];
  }

  @Test
  void beforeItsFirstRunAnEveryTaskShowsItsNextRunAndFiveDueTimes() throws Exception {
    apply("hourly", "every: 1h");
    await().atMost(60, TimeUnit.SECONDS).until(() -> {
      Status st = get("hourly").getStatus();
      return st != null && st.nextRuns != null;
    });
    DelayedTaskResource t = get("hourly");
    Status st = t.getStatus();
    List<Instant> next = nextRuns(st);
    // counted from when the spec was written, as every agent counts its due times
    Instant written = Wire.specWrittenAt(t);
    assertThat(next).containsExactly(written.plus(Duration.ofHours(1)), written.plus(Duration.ofHours(2)),
        written.plus(Duration.ofHours(3)), written.plus(Duration.ofHours(4)), written.plus(Duration.ofHours(5)));
    assertThat(st.nextRunAt).isEqualTo(st.nextRuns.getFirst());
    assertThat(st.phase).isEqualTo(Status.Phase.Scheduled);
    assertThat(st.schedule).isEqualTo("every 1h");
    assertThat(st.observedGeneration).isEqualTo(t.getMetadata().getGeneration());
    assertThat(nextRunColumn("hourly")).isEqualTo(st.nextRunAt);
  }

  @Test
  void afterItsRunsAJitteredEveryTaskShowsTheNextJitteredDueTimes() throws Exception {
    apply("often", "every: 2s\n  jitter: 1500ms");
    await().atMost(120, TimeUnit.SECONDS).until(() -> {
      Status st = get("often").getStatus();
      return st != null && st.runs != null && st.runs >= 3 && st.lastRun != null && st.nextRuns != null;
    });
    DelayedTaskResource t = get("often");
    Status st = t.getStatus();
    Duration j = Jitter.of(Wire.read(t).spec(), "default/often", "any node");
    Instant written = Wire.specWrittenAt(t);
    Instant lastDue = Instant.parse(st.lastRun.dueAt);
    // the due time the agents agreed on (the claim's key) is on the 2 s grid from the spec's write, moved by the jitter
    assertThat(Duration.between(written.plus(j), lastDue).toMillis() % 2000).isZero();
    List<Instant> next = nextRuns(st);
    assertThat(next).hasSize(5);
    assertThat(next.getFirst()).isAfter(lastDue);
    for (int i = 1; i < 5; i++) {
      assertThat(Duration.between(next.get(i - 1), next.get(i))).isEqualTo(Duration.ofSeconds(2));
    }
    assertThat(Duration.between(written.plus(j), next.getFirst()).toMillis() % 2000).isZero();
    assertThat(st.nextRunAt).isEqualTo(st.nextRuns.getFirst());
    assertThat(nextRunColumn("often")).isNotBlank().isNotEqualTo("<none>");
    client.resources(DelayedTaskResource.class).inNamespace("default").withName("often").delete();
  }
}

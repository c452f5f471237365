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
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run now from kubectl ({@code kubectl annotate dtask X nodepulse.dev/run-now=<id> --overwrite}) with three whole
 * agents against one real API server, on tasks whose schedule is a day away (every run seen is an extra one):
 * {@code nodes: one} runs once in the cluster per request id, not again for the same id after an agent restarts or
 * the annotation is applied again, once more for a new id; {@code nodes: all} runs once on each node; a value that
 * is no request id gets one Warning Event and runs nothing; REST answers 409 naming the kubectl command.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class RunNowIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static final List<Agent> agents = new ArrayList<>();
  static Vertx vertx;
  static HttpServer target;
  /** Requests per path of the target. */
  static final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  static Kubectl kubectl;

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    TestCluster.useKubeconfig(dir, kubeConfigYaml);
    vertx = Vertx.vertx();
    target = vertx.createHttpServer().requestHandler(req -> {
      requests.computeIfAbsent(req.path(), p -> new AtomicInteger()).incrementAndGet();
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    agents.addAll(TestCluster.agents(dir, vertx, "node-1", "node-2", "node-3"));
    kubectl = new Kubectl(dir, kubeConfigYaml);
  }

  @AfterAll
  static void stop() {
    TestCluster.stop(agents, vertx);
  }

  static int count(String path) {
    AtomicInteger n = requests.get(path);
    return n == null ? 0 : n.get();
  }

  static DelayedTaskResource get(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  static void apply(String name, String nodes) throws Exception {
    assertThat(kubectl.apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: %s, namespace: default}
        spec:
          every: 24h
          nodes: %s
          target: {http: {url: "http://127.0.0.1:%d/%s"}}
        """.formatted(name, nodes, target.actualPort(), name)).exitCode()).isZero();
    // every agent has it (its next run a day away): an annotation now is seen by agents that know the task
    WebClient web = WebClient.create(vertx);
    for (Agent a : agents) {
      await().atMost(60, TimeUnit.SECONDS).until(() -> web.get(a.httpPort(), "127.0.0.1", "/api/v1/tasks/default/"
          + name).send().await().statusCode() == 200);
    }
  }

  static void annotate(String name, String... pairs) throws Exception {
    List<String> args = new ArrayList<>(List.of("annotate", "dtask", "-n", "default", name));
    args.addAll(List.of(pairs));
    args.add("--overwrite");
    Kubectl.Result r = kubectl.run(null, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  @Test
  void aNodesOneTaskRunsOnceInTheClusterPerRequestId() throws Exception {
    apply("now-one", "one");
    await().atMost(60, TimeUnit.SECONDS).until(() -> get("now-one").getStatus() != null
        && get("now-one").getStatus().nextRunAt != null);
    String nextRunAt = get("now-one").getStatus().nextRunAt;

    annotate("now-one", "nodepulse.dev/run-now=r1");
    await().atMost(90, TimeUnit.SECONDS).until(() -> {
      Status st = get("now-one").getStatus();
      return st.lastRun != null && st.lastRunNow != null && "r1".equals(st.lastRunNow.requestId)
          && st.lastRun.dueAt.equals(st.lastRunNow.at);
    });
    Status st = get("now-one").getStatus();
    assertThat(count("/now-one")).as("one run in the cluster").isEqualTo(1);
    assertThat(st.runs).isEqualTo(1L);
    assertThat(st.lastRun.outcome).isEqualTo("SUCCEEDED");
    assertThat(st.lastRun.node).isEqualTo(st.lastRunNow.node).isEqualTo(st.claimedBy);
    assertThat(st.nextRunAt).as("the schedule is unchanged").isEqualTo(nextRunAt);
    assertThat(get("now-one").getMetadata().getGeneration()).as("an annotation is no spec change").isEqualTo(1L);
    assertThat(st.observedGeneration).isEqualTo(1L);
    await().atMost(30, TimeUnit.SECONDS).until(() -> !events("now-one", "RunSucceeded").isEmpty());
    assertThat(events("now-one", "RunSucceeded").getFirst().getMessage()).startsWith("run-now request r1, run due at "
        + st.lastRunNow.at + " on " + st.lastRunNow.node);

    // the agent that ran it restarts (it forgets what it handled in memory); the same id is applied again
    int ran = List.of("node-1", "node-2", "node-3").indexOf(st.lastRunNow.node);
    agents.get(ran).stop().await();
    agents.set(ran, TestCluster.agent(dir, st.lastRunNow.node));
    WebClient web = WebClient.create(vertx);
    await().atMost(90, TimeUnit.SECONDS).until(() -> web.get(agents.get(ran).httpPort(), "127.0.0.1",
        "/api/v1/tasks/default/now-one").send().await().statusCode() == 200);
    annotate("now-one", "nodepulse.dev/run-now=r1", "touched=again"); // an update every agent sees, same id

    // a new id runs once more; everything the agents saw before it (the restart, the same id) ran nothing
    annotate("now-one", "nodepulse.dev/run-now=r2");
    await().atMost(90, TimeUnit.SECONDS).until(() -> {
      Status s = get("now-one").getStatus();
      return "r2".equals(s.lastRunNow.requestId) && s.lastRun.dueAt.equals(s.lastRunNow.at);
    });
    st = get("now-one").getStatus();
    assertThat(count("/now-one")).as("r1 once, r2 once").isEqualTo(2);
    assertThat(st.runs).isEqualTo(2L);
    assertThat(st.nextRunAt).isEqualTo(nextRunAt);

    // REST: the agent may not patch DelayedTasks; it names the command
    HttpResponse<Buffer> rest = web.post(agents.get(0).httpPort(), "127.0.0.1", "/api/v1/tasks/default/now-one/runs")
        .send().await();
    assertThat(rest.statusCode()).isEqualTo(409);
    assertThat(rest.bodyAsJsonObject().getString("error"))
        .contains("kubectl annotate delayedtask now-one -n default nodepulse.dev/run-now=$(date +%s) --overwrite");
    assertThat(count("/now-one")).isEqualTo(2);
  }

  @Test
  void aNodesAllTaskRunsOncePerNode() throws Exception {
    apply("now-all", "all");
    annotate("now-all", "nodepulse.dev/run-now=a1");
    await().atMost(90, TimeUnit.SECONDS).until(() -> {
      Status st = get("now-all").getStatus();
      return st != null && st.nodes != null && st.nodes.size() == 3
          && st.nodes.stream().allMatch(n -> n.lastRunNow != null && "a1".equals(n.lastRunNow.requestId));
    });
    List<Status.NodeStatus> nodes = get("now-all").getStatus().nodes;
    assertThat(nodes).allSatisfy(n -> {
      assertThat(n.lastRunNow.node).isEqualTo(n.node);
      assertThat(n.lastRun.node).isEqualTo(n.node);
      assertThat(n.lastRun.outcome).isEqualTo("SUCCEEDED");
      assertThat(n.runs).isEqualTo(1L);
    });
    assertThat(count("/now-all")).as("one run per node").isEqualTo(3);

    annotate("now-all", "nodepulse.dev/run-now=a1", "touched=again");
    annotate("now-all", "nodepulse.dev/run-now=a2");
    await().atMost(90, TimeUnit.SECONDS).until(() -> get("now-all").getStatus().nodes.stream()
        .allMatch(n -> n.lastRunNow != null && "a2".equals(n.lastRunNow.requestId) && Long.valueOf(2).equals(n.runs)));
    assertThat(count("/now-all")).as("a1 and a2 once per node").isEqualTo(6);
  }

  @Test
  void aValueThatIsNoRequestIdGetsOneWarningAndRunsNothing() throws Exception {
    apply("now-bad", "one");
    annotate("now-bad", "nodepulse.dev/run-now=two words");
    await().atMost(60, TimeUnit.SECONDS).until(() -> !events("now-bad", "InvalidRunNow").isEmpty());
    annotate("now-bad", "nodepulse.dev/run-now=two words", "touched=again"); // seen again: no second Event
    annotate("now-bad", "nodepulse.dev/run-now=ok-1"); // and the agents stay up: a good one runs
    await().atMost(90, TimeUnit.SECONDS).until(() -> count("/now-bad") == 1);
    List<Event> warnings = events("now-bad", "InvalidRunNow");
    assertThat(warnings).as("one agent speaks for the three").hasSize(1);
    assertThat(warnings.get(0).getType()).isEqualTo("Warning");
    assertThat(warnings.get(0).getMessage()).contains("metadata.annotations[nodepulse.dev/run-now]")
        .contains("'two words'").contains("not run");
  }

  static List<Event> events(String name, String reason) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()) && name.equals(e.getInvolvedObject().getName())).toList();
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.Rendezvous;
import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.time.Duration;
import dev.nodepulse.tasks.model.Schedule;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three whole agents (three node names, {@code --mode kubernetes}) against one real API server: a {@code nodes: one}
 * task runs once per due time over many due times with at most 2 writes per run, a {@code nodes: all} task runs on
 * each node with its own status entry, a ConfigMap's good entry runs while its bad entry gets a Warning Event.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class ClusterIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static final List<Agent> agents = new ArrayList<>();
  static final List<Kube.Mode> modes = new ArrayList<>();
  static Vertx vertx;
  static HttpServer target;
  static final List<String> paths = new CopyOnWriteArrayList<>();
  static final AtomicInteger ticks = new AtomicInteger();
  static final AtomicInteger onceRequests = new AtomicInteger();

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    Path kubeconfig = TestCluster.useKubeconfig(dir, kubeConfigYaml); // what KUBECONFIG does for an agent run by hand
    vertx = Vertx.vertx();
    target = vertx.createHttpServer().requestHandler(req -> {
      paths.add(req.path() + " " + req.getHeader("X-Node"));
      if (req.path().equals("/once")) { // the same, for the DelayedTask's runs
        req.response().end("request-" + onceRequests.incrementAndGet());
        return;
      }
      if (req.path().equals("/tick")) { // each request answers with its own number, which its run's result carries
        req.response().end("request-" + ticks.incrementAndGet());
        return;
      }
      if (req.path().startsWith("/slow") && paths.stream().filter(p -> p.startsWith(req.path() + " ")).count() == 1) {
        return; // the first call of a /slow path never answers: its agent is killed during it
      }
      if (req.path().startsWith("/flaky") && paths.stream().filter(p -> p.startsWith(req.path() + " ")).count() <= 2) {
        req.response().setStatusCode(500).end("not yet"); // the first two calls of a /flaky path fail
        return;
      }
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    agents.addAll(TestCluster.agents(dir, vertx, "node-1", "node-2", "node-3"));
  }

  @AfterAll
  static void stop() {
    TestCluster.stop(agents, vertx);
  }

  /** A task name whose run at {@code at} ranks {@code node} first among the agents. */
  static String nameRanking(String prefix, Instant at, String node) {
    List<String> nodes = List.of("node-1", "node-2", "node-3", node);
    for (int i = 0; ; i++) {
      String name = prefix + "-" + i;
      if (Rendezvous.rank(Rendezvous.runKey("default/" + name, at), nodes).get(0).equals(node)) {
        return name;
      }
    }
  }

  @Test
  void killingTheAgentThatHoldsARunLetsAnotherTakeOverAfterItsLease() throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Process victim = TestCluster.agentProcess(dir, kubeconfig, "node-k");
    try {
      await().atMost(90, TimeUnit.SECONDS).until(() -> {
        var l = client.leases().inNamespace("default").withName("node-k").get();
        return l != null && l.getSpec().getRenewTime().toInstant().isAfter(Instant.now().minusSeconds(3));
      });
      Instant at = Instant.now().plusSeconds(15).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      String lost = nameRanking("lost", at, "node-k");
      String retried = nameRanking("retried", at, "node-k");
      int port = target.actualPort();
      Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
      for (String name : List.of(lost, retried)) {
        assertThat(kubectl.apply("""
            apiVersion: nodepulse.dev/v1alpha1
            kind: DelayedTask
            metadata: {name: %s, namespace: default}
            spec:
              at: "%s"
              target: {http: {url: "http://127.0.0.1:%d/slow-%s", timeout: 1h}}
              retry: {limit: %d, backoff: 1s}
            """.formatted(name, at, port, name, name.equals(lost) ? 0 : 1)).exitCode()).isZero();
      }
      await().atMost(90, TimeUnit.SECONDS).until(() -> List.of(lost, retried).stream().allMatch(n -> {
        DelayedTaskResource t = get(n);
        return t.getStatus() != null && "node-k".equals(t.getStatus().claimedBy)
            && paths.stream().anyMatch(p -> p.startsWith("/slow-" + n + " "));
      }));
      victim.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // killed during both runs

      await().atMost(90, TimeUnit.SECONDS).until(() -> get(lost).getStatus().lastRun != null);
      Status st = get(lost).getStatus();
      assertThat(st.lastRun.outcome).isEqualTo("LOST");
      assertThat(st.lastRun.node).isEqualTo("node-k");
      assertThat(st.lastRun.error).contains("node-k stopped during the run");
      assertThat(st.claimedBy).isIn("node-1", "node-2", "node-3");
      assertThat(paths.stream().filter(p -> p.startsWith("/slow-" + lost + " "))).as("at most once").hasSize(1);

      await().atMost(90, TimeUnit.SECONDS).until(() -> get(retried).getStatus().lastRun != null);
      Status again = get(retried).getStatus();
      assertThat(again.lastRun.outcome).as("retry allows a second delivery").isEqualTo("SUCCEEDED");
      assertThat(again.lastRun.node).isIn("node-1", "node-2", "node-3");
      assertThat(paths.stream().filter(p -> p.startsWith("/slow-" + retried + " "))).hasSize(2);
    } finally {
      victim.destroyForcibly();
    }
  }

  static DelayedTaskResource get(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  @Test
  void aNodesOneTaskRunsOncePerDueTimeWithAtMostTwoWritesPerRun() throws Exception {
    long writesBefore = KubeLink.ALL_TASK_WRITES.get();
    ResultsByRequest results = new ResultsByRequest(client, "default", "once");
    Map<Integer, String> recorded = results.recorded;
    int port = target.actualPort();
    assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: once, namespace: default}
        spec:
          every: 2s
          nodes: one
          target: {http: {url: "http://127.0.0.1:%d/once"}}
        """.formatted(port)).exitCode()).isZero();
    int last = 10;
    await().atMost(120, TimeUnit.SECONDS).until(() -> recorded.containsKey(last));
    long writes = KubeLink.ALL_TASK_WRITES.get() - writesBefore;
    int requests = onceRequests.get(); // read after the writes: each run's claim comes before its request
    client.resources(DelayedTaskResource.class).inNamespace("default").withName("once").delete();
    results.close();
    List<Integer> span = IntStream.rangeClosed(1, last).boxed().toList();
    assertThat(recorded).as("every request has its result written").containsKeys(span.toArray(Integer[]::new));
    assertThat(span.stream().map(recorded::get).toList()).as("each due time ran once").doesNotHaveDuplicates();
    assertThat(writes).as("API writes to the task for %d runs on 3 agents", requests)
        .isLessThanOrEqualTo(2L * requests + 2);
  }

  @Test
  void aConfigMapTaskRunsOncePerDueTimeUnderItsClaimLeaseWhichGoesWithIt() throws Exception {
    long writesBefore = KubeLink.ALL_TASK_WRITES.get();
    String taskKey = "default/ticker.tick";
    Set<String> claimed = ConcurrentHashMap.newKeySet(); // every due time claimed in the task's claim Lease
    Watch watch = client.leases().inNamespace("default").withLabel(ClaimLeases.CLAIM_LABEL, "true")
        .watch(new Watcher<>() {
          @Override
          public void eventReceived(Action action, Lease l) {
            var notes = l.getMetadata().getAnnotations();
            if (notes != null && taskKey.equals(notes.get(ClaimLeases.TASK)) && notes.get(ClaimLeases.CLAIMED_FOR) != null) {
              claimed.add(notes.get(ClaimLeases.CLAIMED_FOR));
            }
          }

          @Override
          public void onClose(WatcherException cause) {}
        });
    ConfigMap cm = client.resource(new ConfigMapBuilder().withNewMetadata().withName("ticker").withNamespace("default")
        .addToLabels("nodepulse.dev/tasks", "true").endMetadata()
        .addToData("tick", "every: 2s\ntarget: {http: {url: \"http://127.0.0.1:" + target.actualPort() + "/tick\"}}\n")
        .build()).create();
    Instant writtenAt = Wire.instant(cm.getMetadata().getManagedFields().get(0).getTime());
    RunHistories histories = new RunHistories(WebClient.create(vertx), agents, taskKey,
        due -> KubeClaims.canonicalDue(new Schedule.Every(Duration.ofSeconds(2)), due, writtenAt));
    Map<Integer, String> ran = histories.ran;
    List<String> dueTimes = histories.dueTimes;
    Runnable readHistories = histories::read;
    int first = ticks.get() + 1;
    await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
      readHistories.run();
      return ticks.get() >= first + 11;
    });
    int last = ticks.get();
    await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
      readHistories.run();
      return java.util.stream.IntStream.rangeClosed(first, last).allMatch(ran::containsKey);
    });
    Lease claim = client.leases().inNamespace("default").withName(ClaimLeases.leaseName(taskKey)).get();
    assertThat(claim.getMetadata().getLabels()).containsEntry(ClaimLeases.CLAIM_LABEL, "true");
    assertThat(claim.getSpec().getHolderIdentity()).isIn("node-1", "node-2", "node-3");

    client.resource(cm).delete();
    await().atMost(60, TimeUnit.SECONDS).until(() ->
        client.leases().inNamespace("default").withName(ClaimLeases.leaseName(taskKey)).get() == null);
    watch.close();
    List<String> span = java.util.stream.IntStream.rangeClosed(first, last).mapToObj(ran::get).toList();
    assertThat(span).as("each request of %d..%d has its run on one agent", first, last).doesNotContainNull();
    assertThat(dueTimes).as("each due time ran once (request -> due time: %s)", ran).doesNotHaveDuplicates();
    assertThat(claimed).as("each run was claimed in the task's claim Lease").containsAll(span);
    assertThat(KubeLink.ALL_TASK_WRITES.get() - writesBefore).as("claim writes and result writes for %d runs",
        dueTimes.size()).isLessThanOrEqualTo(2L * dueTimes.size() + 4);
  }

  @Test
  void runsCountsDueTimesAndAttemptsCountsRetries() throws Exception {
    int port = target.actualPort();
    assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: flaky, namespace: default}
        spec:
          delay: 1s
          target: {http: {url: "http://127.0.0.1:%d/flaky"}}
          retry: {limit: 2, backoff: 1s}
        """.formatted(port)).exitCode()).isZero();
    await().atMost(120, TimeUnit.SECONDS).until(() -> {
      Status st = get("flaky").getStatus();
      return st != null && st.phase == Status.Phase.Succeeded;
    });
    Status st = get("flaky").getStatus();
    assertThat(paths.stream().filter(p -> p.startsWith("/flaky "))).as("two failures, then a success").hasSize(3);
    assertThat(st.runs).as("one due time is one run").isEqualTo(1L);
    assertThat(st.attempts).as("its three attempts").isEqualTo(3L);
    assertThat(st.lastRun.outcome).isEqualTo("SUCCEEDED");
    // the agent that ran it says the same through its REST API (and so its page)
    Agent ran = agents.get(List.of("node-1", "node-2", "node-3").indexOf(st.lastRun.node));
    JsonObject local = WebClient.create(vertx).get(ran.httpPort(), "127.0.0.1", "/api/v1/tasks/default/flaky").send()
        .await().bodyAsJsonObject().getJsonObject("status");
    assertThat(local.getLong("runs")).isEqualTo(1L);
    assertThat(local.getLong("attempts")).isEqualTo(3L);
  }

  @Test
  void aSpecTheApiServerAcceptsButTheAgentsRefuseIsFailedInStatusWithOneWarning() throws Exception {
    assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: framed, namespace: default}
        spec:
          delay: 1s
          target: {http: {url: "http://127.0.0.1:1/", headers: {Content-Length: "3"}}}
        """).exitCode()).isZero();
    await().atMost(60, TimeUnit.SECONDS).until(() -> get("framed").getStatus() != null
        && get("framed").getStatus().conditions != null);
    Status st = get("framed").getStatus();
    assertThat(st.phase).isEqualTo(Status.Phase.Failed);
    assertThat(st.observedGeneration).isEqualTo(1L);
    assertThat(st.conditions).singleElement().satisfies(c -> {
      assertThat(c.getType()).isEqualTo("Ready");
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("InvalidSpec");
      assertThat(c.getMessage()).contains("spec.target.http.headers.Content-Length");
    });
    await().atMost(30, TimeUnit.SECONDS).until(() -> client.v1().events().inNamespace("default").list().getItems()
        .stream().anyMatch(e -> "InvalidSpec".equals(e.getReason())));
    assertThat(client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> "InvalidSpec".equals(e.getReason()) && "framed".equals(e.getInvolvedObject().getName())))
        .as("one agent speaks for the three").hasSize(1);
  }

  @Test
  void aNodesAllTaskRunsOnEachNodeWithItsOwnStatusEntry() throws Exception {
    int port = target.actualPort();
    assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: everywhere, namespace: default}
        spec:
          delay: 1s
          nodes: all
          target: {http: {url: "http://127.0.0.1:%d/all"}}
        """.formatted(port)).exitCode()).isZero();
    await().atMost(120, TimeUnit.SECONDS).until(() -> {
      DelayedTaskResource t = get("everywhere");
      return t.getStatus() != null && t.getStatus().nodes != null && t.getStatus().nodes.size() == 3;
    });
    List<Status.NodeStatus> nodes = get("everywhere").getStatus().nodes;
    assertThat(nodes).extracting(n -> n.node).containsExactlyInAnyOrder("node-1", "node-2", "node-3");
    assertThat(nodes).allSatisfy(n -> {
      assertThat(n.phase).isEqualTo(Status.Phase.Succeeded);
      assertThat(n.lastRun.outcome).isEqualTo("SUCCEEDED");
      assertThat(n.lastRun.node).isEqualTo(n.node);
    });
    assertThat(paths.stream().filter(p -> p.startsWith("/all"))).hasSize(3);
  }

  @Test
  void aConfigMapsGoodEntryRunsAndItsBadEntryGetsAWarningNamingKeyAndField() {
    int port = target.actualPort();
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("jobs").withNamespace("default")
        .addToLabels("nodepulse.dev/tasks", "true").endMetadata()
        .addToData("good", "delay: 1s\ntarget: {http: {url: \"http://127.0.0.1:" + port + "/cm\"}}\n")
        .addToData("bad", "delay: 1s\ntarget: {compute: {pi: {digits: 0}}}\n").build()).create();
    await().atMost(60, TimeUnit.SECONDS).until(() -> paths.stream().anyMatch(p -> p.startsWith("/cm")));
    await().atMost(60, TimeUnit.SECONDS).until(() -> client.v1().events().inNamespace("default").list().getItems()
        .stream().anyMatch(e -> "InvalidTask".equals(e.getReason())));
    List<Event> warnings = client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> "InvalidTask".equals(e.getReason())).toList();
    assertThat(warnings).as("one agent speaks for the three").hasSize(1);
    Event warning = warnings.get(0);
    assertThat(warning.getType()).isEqualTo("Warning");
    assertThat(warning.getInvolvedObject().getKind()).isEqualTo("ConfigMap");
    assertThat(warning.getMessage()).contains("key bad").contains("spec.target.compute.pi.digits");
    WebClient web = WebClient.create(vertx);
    JsonObject tasks = web.get(agents.get(0).httpPort(), "127.0.0.1", "/api/v1/tasks").send().await().bodyAsJsonObject();
    assertThat(tasks.getJsonArray("items").stream().map(o -> ((JsonObject) o).getJsonObject("metadata")
        .getString("name"))).contains("jobs.good", "jobs.bad");
    await().atMost(30, TimeUnit.SECONDS).until(() -> paths.stream().filter(p -> p.startsWith("/cm")).count() >= 1);
    assertThat(paths.stream().filter(p -> p.startsWith("/cm"))).as("nodes: one (the default): one agent ran it")
        .hasSize(1);
  }

  @Test
  void aSuspendedTaskSkipsItsDueTimesEverywhereAndRunsAgainWhenResumed() throws Exception {
    int port = target.actualPort();
    Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
    assertThat(kubectl.apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: paused, namespace: default}
        spec:
          every: 1s
          suspend: true
          target: {http: {url: "http://127.0.0.1:%d/paused"}}
        """.formatted(port)).exitCode()).isZero();
    assertThat(kubectl.apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: beside-paused, namespace: default}
        spec:
          every: 1s
          target: {http: {url: "http://127.0.0.1:%d/beside-paused"}}
        """.formatted(port)).exitCode()).isZero();
    // the evidence that due times passed: a task beside it, on the same schedule, ran (not a wait of milliseconds)
    await().atMost(120, TimeUnit.SECONDS).until(() -> paths.stream().filter(p -> p.startsWith("/beside-paused "))
        .count() >= 4);
    client.resources(DelayedTaskResource.class).inNamespace("default").withName("beside-paused").delete();
    assertThat(paths.stream().filter(p -> p.startsWith("/paused "))).as("nothing ran while suspended").isEmpty();
    await().atMost(60, TimeUnit.SECONDS).until(() -> get("paused").getStatus() != null
        && get("paused").getStatus().conditions != null && get("paused").getStatus().conditions.stream()
        .anyMatch(c -> c.getType().equals("Suspended") && c.getStatus().equals("True")));
    Kubectl.Result columns = kubectl.run(null, "get", "dtask", "-n", "default", "paused");
    assertThat(columns.out().strip().split("\n")[1].split("\\s{2,}")).as(columns.out()).contains("true");

    assertThat(kubectl.run(null, "patch", "dtask", "-n", "default", "paused", "--type", "merge", "-p",
        "{\"spec\": {\"suspend\": false}}").exitCode()).isZero();
    await().atMost(120, TimeUnit.SECONDS).until(() -> paths.stream().filter(p -> p.startsWith("/paused ")).count() >= 2);
    await().atMost(60, TimeUnit.SECONDS).until(() -> get("paused").getStatus().conditions.stream()
        .anyMatch(c -> c.getType().equals("Suspended") && c.getStatus().equals("False")
            && c.getReason().equals("Resumed")));
    client.resources(DelayedTaskResource.class).inNamespace("default").withName("paused").delete();
  }
}

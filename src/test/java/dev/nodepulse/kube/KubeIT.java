package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.wire.KubeSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.bus.Listening;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The link to the API server on a real kube-apiserver: connection with backoff, Leases, informers. */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class KubeIT {
  static final Duration LEASE = Duration.ofSeconds(3);
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  Vertx vertx;

  @BeforeAll
  static void cluster() {
    TestCluster.installCrd(client);
    for (String ns : List.of("ns-a", "ns-b")) {
      client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).serverSideApply();
    }
  }

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  static KubeSettings settings(String node, List<String> namespaces) {
    return new KubeSettings(node, "default", LEASE, namespaces, Duration.ofMinutes(1), "127.0.0.1");
  }

  JsonObject health() {
    return vertx.eventBus().<JsonObject>request(KubeVerticle.HEALTH, new JsonObject()).await().body();
  }

  @Test
  void theAgentWritesItsLeaseWhenItMustNotAtRestSeesTheOthersAndLeavesAtStop() {
    KubeVerticle a = new KubeVerticle(Config.fromKubeconfig(kubeConfigYaml), settings("node-a", List.of()),
        Clock.systemUTC(), List.of());
    KubeVerticle b = new KubeVerticle(Config.fromKubeconfig(kubeConfigYaml), settings("node-b", List.of()),
        Clock.systemUTC(), List.of());
    vertx.deployVerticle(a).await();
    String bId = vertx.deployVerticle(b).await();
    await().atMost(60, TimeUnit.SECONDS).until(() -> "up".equals(health().getString("state")));

    Lease lease = client.leases().inNamespace("default").withName("node-a").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("node-a");
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(3);
    assertThat(lease.getMetadata().getLabels()).containsEntry("nodepulse.dev/agent", "true");
    assertThat(lease.getMetadata().getAnnotations().get("nodepulse.dev/node-labels"))
        .as("no Node object here: only the host name label").isEqualTo("{\"kubernetes.io/hostname\":\"node-a\"}");
    assertThat(lease.getMetadata().getAnnotations()).containsEntry("nodepulse.dev/pod-ip", "127.0.0.1")
        .as("no metrics listener has said where it listens yet").doesNotContainKey("nodepulse.dev/metrics-port");
    vertx.eventBus().publish(Listening.ADDRESS, new Listening(8080, 9101).toJson());
    await().atMost(30, TimeUnit.SECONDS).until(() -> a.leases().stream().anyMatch(l -> l.node().equals("node-a")
        && Integer.valueOf(9101).equals(l.metricsPort()) && "127.0.0.1".equals(l.podIp())));

    // at rest (no run held) the Lease is not written again: over more than two lease durations, at a renewal
    // every third of one (1 s here) it would have changed a few times
    String version = client.leases().inNamespace("default").withName("node-a").get().getMetadata()
        .getResourceVersion();
    await().during(7, TimeUnit.SECONDS).atMost(30, TimeUnit.SECONDS).until(() -> version.equals(
        client.leases().inNamespace("default").withName("node-a").get().getMetadata().getResourceVersion()));
    assertThat(a.leases()).extracting(AgentLease::node).contains("node-a", "node-b");

    vertx.undeploy(bId).await(); // node-b leaves: its Lease is deleted
    assertThat(client.leases().inNamespace("default").withName("node-b").get()).isNull();
    await().atMost(30, TimeUnit.SECONDS).until(() -> a.leases().stream().map(AgentLease::node)
        .noneMatch("node-b"::equals));

    // a Lease removed by another agent (a cascade passed this one over) is written again
    client.leases().inNamespace("default").withName("node-a").delete();
    await().atMost(30, TimeUnit.SECONDS).until(() -> client.leases().inNamespace("default").withName("node-a")
        .get() != null);
  }

  @Test
  void anUnreachableApiServerIsRetriedWithBackoffAtStartAndLater() throws Exception {
    int apiPort = Integer.parseInt(kubeConfigYaml.replaceAll("(?s).*server: *\"?https://127\\.0\\.0\\.1:(\\d+).*", "$1"));
    int proxyPort;
    try (ServerSocket s = new ServerSocket(0)) {
      proxyPort = s.getLocalPort();
    }
    String viaProxy = kubeConfigYaml.replace("127.0.0.1:" + apiPort, "127.0.0.1:" + proxyPort);
    KubeVerticle v = new KubeVerticle(Config.fromKubeconfig(viaProxy), settings("node-p", List.of()),
        Clock.systemUTC(), List.of());
    vertx.deployVerticle(v).await(); // starts although nothing listens yet
    await().atMost(30, TimeUnit.SECONDS).until(() -> "down".equals(health().getString("state")));
    assertThat(health().getString("lastError")).isEqualTo("cannot connect to the API server (connection refused or reset)");
    assertThat(health().getBoolean("ready")).isFalse();

    Proxy proxy = new Proxy(vertx, proxyPort, apiPort);
    await().atMost(90, TimeUnit.SECONDS).until(() -> "up".equals(health().getString("state")));
    assertThat(health().containsKey("lastError")).isFalse();
    assertThat(health().getBoolean("ready")).isTrue();

    proxy.close(); // the API server goes away while the agent runs
    await().atMost(60, TimeUnit.SECONDS).until(() -> "down".equals(health().getString("state")));
    assertThat(health().getBoolean("ready")).isFalse();
    Instant renewedBefore = client.leases().inNamespace("default").withName("node-p").get().getSpec().getRenewTime()
        .toInstant();

    new Proxy(vertx, proxyPort, apiPort);
    await().atMost(90, TimeUnit.SECONDS).until(() -> "up".equals(health().getString("state")));
    assertThat(client.leases().inNamespace("default").withName("node-p").get().getSpec().getRenewTime().toInstant())
        .isAfter(renewedBefore);
  }

  @Test
  void informersSeeDelayedTasksAndLabelledConfigMapsOfTheirNamespacesOnly() {
    List<String> seen = new CopyOnWriteArrayList<>();
    List<String> deleted = new CopyOnWriteArrayList<>();
    TaskInformers.Listener<DelayedTaskResource> tasks = new TaskInformers.Listener<>() {
      @Override
      public void upsert(DelayedTaskResource t) {
        seen.add("task " + t.getMetadata().getNamespace() + "/" + t.getMetadata().getName());
      }

      @Override
      public void delete(DelayedTaskResource t) {
        deleted.add("task " + t.getMetadata().getNamespace() + "/" + t.getMetadata().getName());
      }
    };
    TaskInformers.Listener<ConfigMap> maps = new TaskInformers.Listener<>() {
      @Override
      public void upsert(ConfigMap c) {
        seen.add("configmap " + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName());
      }

      @Override
      public void delete(ConfigMap c) {
        deleted.add("configmap " + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName());
      }
    };
    for (String ns : List.of("ns-a", "ns-b")) {
      client.resource(task(ns, "early")).create();
    }
    try (TaskInformers informers = new TaskInformers(client, settings("node-i", List.of("ns-a")), tasks, maps)) {
      informers.start().join();
      assertThat(seen).containsExactly("task ns-a/early");

      for (String ns : List.of("ns-a", "ns-b")) {
        client.resource(task(ns, "later")).create();
        client.resource(configMap(ns, "labelled", true)).create();
        client.resource(configMap(ns, "plain", false)).create();
      }
      await().atMost(30, TimeUnit.SECONDS).until(() -> seen.size() >= 3);
      client.resources(DelayedTaskResource.class).inNamespace("ns-a").withName("early").delete();
      await().atMost(30, TimeUnit.SECONDS).until(() -> deleted.contains("task ns-a/early"));
      assertThat(seen).containsExactlyInAnyOrder("task ns-a/early", "task ns-a/later", "configmap ns-a/labelled");
      assertThat(deleted).containsExactly("task ns-a/early");
      assertThat(informers.watching()).isTrue();
    }
    seen.clear();
    try (TaskInformers all = new TaskInformers(client, settings("node-i", List.of()), tasks, maps)) {
      all.start().join();
      assertThat(seen).containsExactlyInAnyOrder("task ns-b/early", "task ns-a/later", "task ns-b/later",
          "configmap ns-a/labelled", "configmap ns-b/labelled");
    }
  }

  @Test
  void aConfigMapTasksClaimLeaseIsWrittenConditionallyAndStraysAreSwept() {
    KubeSettings settingsA = settings("node-a", List.of());
    try (ClaimLeases a = new ClaimLeases(client, settingsA);
         ClaimLeases b = new ClaimLeases(client, settings("node-b", List.of()))) {
      a.start().toCompletableFuture().join();
      b.start().toCompletableFuture().join();
      String task = "default/jobs.Nightly_Backup"; // a ConfigMap key may hold capitals and '_': the name is a hash
      Instant due = Instant.parse("2026-11-30T07:00:00Z");
      Instant now = Instant.now();
      a.claim(task, null, due, now, null);
      assertThatThrownBy(() -> b.claim(task, null, due, now, null)).as("the Lease exists: create fails")
          .isInstanceOfSatisfying(io.fabric8.kubernetes.client.KubernetesClientException.class,
              e -> assertThat(e.getCode()).isEqualTo(409));
      Lease seen = b.read(task);
      assertThat(ClaimLeases.shared(seen)).isEqualTo(new ClaimRule.Shared(due, "node-a", null,
          now.truncatedTo(java.time.temporal.ChronoUnit.MICROS)));
      assertThat(seen.getMetadata().getName()).matches("nodepulse-task-[0-9a-f]{20}");
      a.finished(task, due, "SUCCEEDED", now);
      assertThatThrownBy(() -> b.claim(task, seen, due.plusSeconds(60), now, null))
          .as("a write on a version that is no longer current").isInstanceOfSatisfying(
              io.fabric8.kubernetes.client.KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
      b.claim(task, b.read(task), due.plusSeconds(60), now, null);
      assertThat(ClaimLeases.shared(a.read(task))).as("the next due time, claimed by node-b")
          .isEqualTo(new ClaimRule.Shared(due.plusSeconds(60), "node-b", null,
              now.truncatedTo(java.time.temporal.ChronoUnit.MICROS)));
      await().atMost(30, TimeUnit.SECONDS).until(() -> a.cached(task) != null && "node-b".equals(
          a.cached(task).getSpec().getHolderIdentity()));

      // a stray: its task is known to no agent. Kept while recently written, swept once quiet, by one agent only.
      assertThat(a.sweep(t -> false, l -> true, Duration.ofMinutes(5), Instant.now())).isZero();
      assertThat(a.sweep(t -> true, l -> true, Duration.ZERO, Instant.now().plusSeconds(1))).as("a known task")
          .isZero();
      assertThat(a.sweep(t -> false, l -> false, Duration.ZERO, Instant.now().plusSeconds(1))).as("not mine").isZero();
      try (ClaimLeases other = new ClaimLeases(client, settings("node-c", List.of("ns-a")))) {
        other.start().toCompletableFuture().join();
        assertThat(other.sweep(t -> false, l -> true, Duration.ZERO, Instant.now().plusSeconds(1)))
            .as("a task in a namespace this agent does not watch").isZero();
      }
      assertThat(a.sweep(t -> false, l -> true, Duration.ZERO, Instant.now().plusSeconds(1))).isEqualTo(1);
      assertThat(client.leases().inNamespace("default").withName(ClaimLeases.leaseName(task)).get()).isNull();
    }
  }

  static DelayedTaskResource task(String ns, String name) {
    DelayedTaskResource t = new DelayedTaskResource();
    t.getMetadata().setName(name);
    t.getMetadata().setNamespace(ns);
    t.setSpec(client.getKubernetesSerialization().unmarshal(
        "{\"delay\": \"1h\", \"target\": {\"compute\": {\"pi\": {\"digits\": 5}}}}", dev.nodepulse.kube.crd.Spec.class));
    return t;
  }

  static ConfigMap configMap(String ns, String name, boolean labelled) {
    var b = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(ns);
    if (labelled) {
      b = b.addToLabels(TaskInformers.TASKS_LABEL, "true");
    }
    return b.endMetadata().addToData("tick", "every: 1h\ntarget: {compute: {pi: {digits: 5}}}\n").build();
  }

  /** A TCP proxy to the API server, so a test can make it unreachable and back. */
  static final class Proxy {
    private final NetServer server;
    private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();

    Proxy(Vertx vertx, int port, int target) {
      var client = vertx.createNetClient();
      server = vertx.createNetServer().connectHandler(in -> {
        in.pause();
        open.add(in);
        client.connect(target, "127.0.0.1").onSuccess(out -> {
          open.add(out);
          in.pipeTo(out);
          out.pipeTo(in);
          in.resume();
        }).onFailure(e -> in.close());
      });
      server.listen(port, "127.0.0.1").await();
    }

    void close() throws IOException {
      server.close().await();
      open.forEach(NetSocket::close);
    }
  }
}

package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the cluster shows of a task, as a user sees it (issue "the cluster tells the truth"), with two whole agents
 * against a real API server: a {@code nodes: one} one-shot that ran on one agent is Succeeded, with its node, in the
 * other agent's REST API (not Pending with 0 runs), and the other agent says where its output is; a {@code nodes:
 * all} task fills every column of {@code kubectl get dtask}; a ConfigMap one-shot that ran on one agent is Succeeded
 * in the other's REST API, from its claim Lease.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class ClusterTruthIT {
  static final List<String> NODES = List.of("node-a", "node-b");
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static final List<Agent> agents = new ArrayList<>();
  static Vertx vertx;
  static WebClient web;
  static HttpServer target;
  static final List<String> paths = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    Path kubeconfig = TestCluster.useKubeconfig(dir, kubeConfigYaml);
    vertx = Vertx.vertx();
    web = WebClient.create(vertx);
    target = vertx.createHttpServer().requestHandler(req -> {
      paths.add(req.path());
      req.response().end("reply-of-" + req.path().substring(1));
    }).listen(0, "127.0.0.1").await();
    for (String node : NODES) {
      Config config = Config.forTest(Files.createDirectories(dir.resolve(node)), "--mode", "kubernetes",
          "--node-name", node, "--lease-duration", "3s");
      agents.add(Agent.start(config).await(60, TimeUnit.SECONDS));
    }
    for (Agent a : agents) {
      await().atMost(90, TimeUnit.SECONDS).until(() -> web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await()
          .bodyAsJsonObject().getJsonObject("components").getJsonObject("kubernetes").getBoolean("ready"));
    }
  }

  @AfterAll
  static void stop() {
    for (Agent a : agents) {
      a.stop().await();
    }
    vertx.close().await();
    System.clearProperty("kubeconfig");
  }

  static DelayedTaskResource get(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  static HttpResponse<Buffer> rest(String node, String path) {
    return web.get(agents.get(NODES.indexOf(node)).httpPort(), "127.0.0.1", path).send().await();
  }

  static String other(String node) {
    return NODES.get(1 - NODES.indexOf(node));
  }

  @Test
  void aOneShotThatRanOnOneAgentIsSucceededWithItsNodeInTheOtherAgentsRestApi() throws Exception {
    assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: ran-elsewhere, namespace: default}
        spec:
          delay: 1s
          nodes: one
          target: {http: {url: "http://127.0.0.1:%d/ran-elsewhere"}}
        """.formatted(target.actualPort())).exitCode()).isZero();
    await().atMost(120, TimeUnit.SECONDS).until(() -> {
      Status st = get("ran-elsewhere").getStatus();
      return st != null && st.phase == Status.Phase.Succeeded;
    });
    String ran = get("ran-elsewhere").getStatus().lastRun.node;
    String idle = other(ran);

    await().atMost(60, TimeUnit.SECONDS).until(() -> "Succeeded".equals(rest(idle, "/api/v1/tasks/default/ran-elsewhere")
        .bodyAsJsonObject().getJsonObject("status").getString("phase")));
    JsonObject st = rest(idle, "/api/v1/tasks/default/ran-elsewhere").bodyAsJsonObject().getJsonObject("status");
    assertThat(st.getLong("runs")).as("the cluster's runs").isEqualTo(1L);
    assertThat(st.getString("claimedBy")).isEqualTo(ran);
    assertThat(st.getJsonObject("lastRun").getString("node")).as("the API says which node ran it").isEqualTo(ran);
    assertThat(st.getJsonObject("lastRun").getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(st.getJsonObject("lastRun").getString("result")).isEqualTo("reply-of-ran-elsewhere");
    assertThat(st.getString("summary")).isEqualTo("succeeded on " + ran);
    JsonObject local = st.getJsonObject("local");
    assertThat(local.getString("node")).as("this node's own account beside it").isEqualTo(idle);
    assertThat(local.getLong("runs")).isZero();

    JsonObject listed = rest(idle, "/api/v1/tasks").bodyAsJsonObject().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(t -> t.getJsonObject("metadata").getString("name").equals("ran-elsewhere"))
        .findFirst().orElseThrow();
    assertThat(listed.getJsonObject("status").getString("phase")).isEqualTo("Succeeded");

    JsonObject runs = rest(idle, "/api/v1/tasks/default/ran-elsewhere/runs").bodyAsJsonObject();
    assertThat(runs.getJsonArray("items")).as("no run on this node").isEmpty();
    assertThat(runs.getJsonObject("lastRun").getString("node")).isEqualTo(ran);
    HttpResponse<Buffer> output = rest(idle, "/api/v1/tasks/default/ran-elsewhere/runs/latest/output");
    assertThat(output.statusCode()).isEqualTo(404);
    assertThat(output.bodyAsJsonObject().getString("error")).contains("ran on " + ran);
    await().atMost(30, TimeUnit.SECONDS).until(() -> rest(ran, "/api/v1/tasks/default/ran-elsewhere/runs/latest/output")
        .statusCode() == 200);
    assertThat(rest(ran, "/api/v1/tasks/default/ran-elsewhere/runs/latest/output").bodyAsString())
        .as("the output stays on the node that ran it").isEqualTo("reply-of-ran-elsewhere");
    assertThat(paths).filteredOn("/ran-elsewhere"::equals).hasSize(1);
  }

  @Test
  void aNodesAllTaskFillsEveryColumnOfKubectlGetDtask() throws Exception {
    Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
    assertThat(kubectl.apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: on-every-node, namespace: default}
        spec:
          delay: 1s
          nodes: all
          target: {http: {url: "http://127.0.0.1:%d/on-every-node"}}
        """.formatted(target.actualPort())).exitCode()).isZero();
    await().atMost(120, TimeUnit.SECONDS).until(() -> {
      Status st = get("on-every-node").getStatus();
      return st != null && "2/2 nodes succeeded".equals(st.summary);
    });
    Map<String, String> columns = columns(kubectl.run(null, "get", "dtask", "on-every-node", "-o", "wide").out());
    assertThat(columns).containsKeys("NAME", "PHASE", "SCHEDULE", "NEXT RUN", "RUNS", "LAST OUTCOME", "CLAIMED BY",
        "SUMMARY", "LAST NODE", "AGE");
    // a finished one-shot has no next run (as with nodes: one); every other column is filled
    assertThat(columns).allSatisfy((name, value) -> {
      if (!name.equals("NEXT RUN")) {
        assertThat(value).as(name).isNotBlank().isNotEqualTo("<none>");
      }
    });
    assertThat(columns).containsEntry("PHASE", "Succeeded").containsEntry("SCHEDULE", "delay 1s")
        .containsEntry("RUNS", "2").containsEntry("LAST OUTCOME", "SUCCEEDED")
        .containsEntry("SUMMARY", "2/2 nodes succeeded");
    assertThat(columns.get("CLAIMED BY")).isIn(NODES);
    assertThat(columns.get("LAST NODE")).isIn(NODES);
    Status st = get("on-every-node").getStatus();
    assertThat(st.conditions).extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("Ready=True", "Scheduled=False", "Failed=False");
    assertThat(st.conditions).allSatisfy(c -> {
      assertThat(c.getObservedGeneration()).isEqualTo(1L);
      assertThat(c.getLastTransitionTime()).isNotBlank();
      assertThat(c.getReason()).isNotBlank();
    });
    // each agent shows every node's entry, not only its own
    for (String node : NODES) {
      await().atMost(60, TimeUnit.SECONDS).until(() -> rest(node, "/api/v1/tasks/default/on-every-node")
          .bodyAsJsonObject().getJsonObject("status").getJsonArray("nodes").size() == 2);
      JsonObject status = rest(node, "/api/v1/tasks/default/on-every-node").bodyAsJsonObject().getJsonObject("status");
      assertThat(status.getString("phase")).isEqualTo("Succeeded");
      assertThat(status.getLong("runs")).isEqualTo(2L);
      assertThat(status.getJsonObject("local").getLong("runs")).isEqualTo(1L);
    }
  }

  @Test
  void aConfigMapOneShotThatRanOnOneAgentIsSucceededInTheOtherAgentsRestApiFromItsClaimLease() {
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("truth").withNamespace("default")
        .addToLabels("nodepulse.dev/tasks", "true").endMetadata()
        .addToData("once", "delay: 1s\ntarget: {http: {url: \"http://127.0.0.1:" + target.actualPort() + "/cm-once\"}}\n")
        .build()).create();
    await().atMost(120, TimeUnit.SECONDS).until(() -> NODES.stream().anyMatch(n -> rest(n,
        "/api/v1/tasks/default/truth.once/runs").bodyAsJsonObject().getJsonArray("items").size() == 1));
    String ran = NODES.stream().filter(n -> rest(n, "/api/v1/tasks/default/truth.once/runs").bodyAsJsonObject()
        .getJsonArray("items").size() == 1).findFirst().orElseThrow();
    String idle = other(ran);
    await().atMost(60, TimeUnit.SECONDS).until(() -> "Succeeded".equals(rest(idle, "/api/v1/tasks/default/truth.once")
        .bodyAsJsonObject().getJsonObject("status").getString("phase")));
    JsonObject st = rest(idle, "/api/v1/tasks/default/truth.once").bodyAsJsonObject().getJsonObject("status");
    assertThat(st.getLong("runs")).isEqualTo(1L);
    assertThat(st.getString("claimedBy")).isEqualTo(ran);
    assertThat(st.getJsonObject("lastRun").getString("node")).isEqualTo(ran);
    assertThat(st.getJsonObject("lastRun").getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(st.getJsonObject("local").getLong("runs")).isZero();
    assertThat(paths).filteredOn("/cm-once"::equals).hasSize(1);
  }

  /** kubectl's table (one row) as column name → value, cut where the header's columns start. */
  static Map<String, String> columns(String table) {
    String[] lines = table.split("\n");
    assertThat(lines).as("a header and one row: %s", table).hasSizeGreaterThanOrEqualTo(2);
    String header = lines[0];
    String row = lines[1];
    List<Integer> starts = new ArrayList<>();
    List<String> names = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\S+( \\S+)*").matcher(header);
    while (m.find()) {
      starts.add(m.start());
      names.add(m.group());
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < starts.size(); i++) {
      int from = Math.min(starts.get(i), row.length());
      int to = i + 1 < starts.size() ? Math.min(starts.get(i + 1), row.length()) : row.length();
      out.put(names.get(i), row.substring(from, to).trim());
    }
    return out;
  }
}

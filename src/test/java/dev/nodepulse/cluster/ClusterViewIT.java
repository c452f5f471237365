package dev.nodepulse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.live.Chromium;
import com.microsoft.playwright.Page;
import dev.nodepulse.ship.KubeTools;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three whole agents (one JVM, 127.0.0.1, each with its own metrics listener) against a real API server, running as
 * the chart's ServiceAccount with the chart's RBAC: one agent's {@code GET /api/v1/cluster/nodes} lists all three with
 * live figures, an agent stopped is marked Stopped once its Lease is removed and Ready again once restarted, a node's own
 * REST is reached through the agent viewed, and the peers' endpoints refuse requests without the agents' token.
 */
@EnableKubeAPIServer(kubeAPIVersion = "1.34.4", apiServerFlags = {"--advertise-address", "127.0.0.1"})
class ClusterViewIT {
  static final List<String> NODES = List.of("node-1", "node-2", "node-3");
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static KubernetesClient admin;
  static final Map<String, Agent> agents = new LinkedHashMap<>();
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  static String agentToken;

  @BeforeAll
  static void cluster() throws Exception {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("nodepulse").endMetadata().build())
        .create();
    // the chart's ServiceAccount, ClusterRole and binding, as rendered: the agents run as that ServiceAccount
    String rendered = KubeTools.helm(dir.resolve("helm"), "template", "nodepulse", KubeTools.CHART.toString(),
        "--namespace", "nodepulse", "--show-only", "templates/serviceaccount.yaml",
        "--show-only", "templates/clusterrole.yaml", "--show-only", "templates/clusterrolebinding.yaml").ok();
    List<HasMetadata> objects = admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
    objects.forEach(o -> admin.resource(o).create());
    CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions()
        .load(KubeTools.CHART.resolve("crds/delayedtasks.nodepulse.dev.yaml").toFile()).item();
    admin.resource(crd).create();
    admin.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
        .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
            && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);

    agentToken = admin.serviceAccounts().inNamespace("nodepulse").withName("nodepulse")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode kc = (ObjectNode) yaml.readTree(kubeConfigYaml);
    ((ObjectNode) kc.path("users").get(0)).putObject("user").put("token", agentToken);
    Path kubeconfig = dir.resolve("agent-kubeconfig");
    yaml.writeValue(kubeconfig.toFile(), kc);
    System.setProperty("kubeconfig", kubeconfig.toString()); // what KUBECONFIG does for an agent run by hand
    for (String node : NODES) {
      start(node);
    }
  }

  static void start(String node) throws Exception {
    Config config = Config.forTest(Files.createDirectories(dir.resolve(node)), "--mode", "kubernetes",
        "--node-name", node, "--lease-duration", "3s", "--metrics-port", "0", "--metrics-host", "127.0.0.1");
    Agent agent = Agent.start(config).await(60, TimeUnit.SECONDS);
    agents.put(node, agent);
    await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).until(() -> {
      HttpResponse<String> r = get(agent.httpPort(), "/readyz", null);
      return new JsonObject(r.body()).getJsonObject("components").getJsonObject("kubernetes").getBoolean("ready");
    });
  }

  @AfterAll
  static void stop() {
    for (Agent a : agents.values()) {
      a.stop().await();
    }
    System.clearProperty("kubeconfig");
  }

  static HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The cluster view as node-1 answers it, by node. */
  static Map<String, JsonObject> view() throws Exception {
    HttpResponse<String> r = get(agents.get("node-1").httpPort(), "/api/v1/cluster/nodes", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Map<String, JsonObject> out = new LinkedHashMap<>();
    for (Object o : new JsonObject(r.body()).getJsonArray("items")) {
      out.put(((JsonObject) o).getString("node"), (JsonObject) o);
    }
    return out;
  }

  @Test
  void oneAgentListsEveryNodeWithLiveFigures() throws Exception {
    await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).until(() -> {
      Map<String, JsonObject> v = view();
      return v.keySet().containsAll(NODES) && NODES.stream().allMatch(n -> "Ready".equals(v.get(n).getString("state"))
          && v.get(n).getValue("percent") != null && v.get(n).getString("sampledAt") != null);
    });
    Map<String, JsonObject> first = view();
    for (String n : NODES) {
      JsonObject row = first.get(n);
      assertThat(row.fieldNames()).contains("node", "state", "percent", "avg1m", "load", "memory", "sampledAt");
      assertThat(row.getDouble("percent")).isBetween(0.0, 100.0);
      assertThat(row.getJsonObject("memory").getLong("totalBytes")).isPositive();
    }
    // live: each peer's sampledAt moves on as its sampler samples
    await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).until(() -> {
      Map<String, JsonObject> now = view();
      return NODES.stream().allMatch(n -> !now.get(n).getString("sampledAt").equals(first.get(n).getString("sampledAt")));
    });
  }

  @Test
  void aNodesOwnRestIsReachedThroughTheAgentViewed() throws Exception {
    int viewed = agents.get("node-1").httpPort();
    // a task declared on node-2 only (REST tasks are the agent's own): listed through node-1 for node-2, not node-3
    String task = new JsonObject().put("metadata", new JsonObject().put("name", "only-on-two"))
        .put("spec", new JsonObject().put("delay", "1h").put("target",
            new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 10))))).encode();
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + agents.get("node-2").httpPort() + "/api/v1/tasks")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(task)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

    HttpResponse<String> cpu = get(viewed, "/api/v1/cluster/nodes/node-2/cpu", null);
    assertThat(cpu.statusCode()).as(cpu.body()).isEqualTo(200);
    assertThat(new JsonObject(cpu.body()).getDouble("percent")).isBetween(0.0, 100.0);
    assertThat(new JsonObject(cpu.body()).getString("sampledAt")).isNotNull();

    JsonArray onTwo = new JsonObject(get(viewed, "/api/v1/cluster/nodes/node-2/tasks", null).body()).getJsonArray("items");
    JsonArray onThree = new JsonObject(get(viewed, "/api/v1/cluster/nodes/node-3/tasks", null).body()).getJsonArray("items");
    assertThat(names(onTwo)).contains("only-on-two");
    assertThat(names(onThree)).doesNotContain("only-on-two");
    HttpResponse<String> one = get(viewed, "/api/v1/cluster/nodes/node-2/tasks/default/only-on-two", null);
    assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
    HttpResponse<String> absent = get(viewed, "/api/v1/cluster/nodes/node-3/tasks/default/only-on-two", null);
    assertThat(absent.statusCode()).as("node-3's own 404, passed on").isEqualTo(404);
    HttpResponse<String> badQuery = get(viewed, "/api/v1/cluster/nodes/node-2/processes?top=0", null);
    assertThat(badQuery.statusCode()).as("node-2's own 400, passed on").isEqualTo(400);
    assertThat(new JsonObject(badQuery.body()).getJsonObject("details").getString("field")).isEqualTo("top");

    HttpResponse<String> unknown = get(viewed, "/api/v1/cluster/nodes/node-9/cpu", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getString("error"))
        .isEqualTo("no node 'node-9' in the cluster view: no agent's Lease names it");
    HttpResponse<String> badName = get(viewed, "/api/v1/cluster/nodes/Node_9/cpu", null);
    assertThat(badName.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(badName.body()).getString("error")).contains("'Node_9'").contains("DNS-1123");
    HttpResponse<String> notForwarded = get(viewed, "/api/v1/cluster/nodes/node-2/sum", null);
    assertThat(notForwarded.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(notForwarded.body()).getString("error"))
        .isEqualTo("/api/v1/sum is not a path the cluster view forwards to node node-2");
  }

  static List<String> names(JsonArray items) {
    List<String> out = new ArrayList<>();
    items.forEach(t -> out.add(((JsonObject) t).getJsonObject("metadata").getString("name")));
    return out;
  }

  @Test
  void thePeersEndpointsRefuseRequestsWithoutTheAgentsToken() throws Exception {
    int peer = agents.get("node-2").metricsPort();
    assertThat(get(peer, "/peer/v1/summary", null).statusCode()).isEqualTo(401);
    assertThat(get(peer, "/peer/v1/summary", "not-a-token").statusCode()).isEqualTo(401);
    assertThat(get(peer, "/peer/v1/node/api/v1/cpu", null).statusCode()).isEqualTo(401);
    admin.serviceAccounts().inNamespace("nodepulse").resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
        .withNewMetadata().withName("stranger").endMetadata().build()).serverSideApply();
    String stranger = admin.serviceAccounts().inNamespace("nodepulse").withName("stranger")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    assertThat(get(peer, "/peer/v1/summary", stranger).statusCode()).as("a foreign ServiceAccount").isEqualTo(403);
    assertThat(get(peer, "/peer/v1/node/api/v1/cpu", stranger).statusCode()).isEqualTo(403);
    assertThat(get(peer, "/peer/v1/summary", agentToken).statusCode()).as("the agents' own identity").isEqualTo(200);
    HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + peer
            + "/peer/v1/node/api/v1/tasks")).header("Authorization", "Bearer " + agentToken)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(write.statusCode()).as("nothing on the pod IP changes tasks, whoever asks").isEqualTo(405);
  }

  @Test
  void aStoppedAgentIsMarkedStoppedOnceItsLeaseIsRemovedAndReadyOnceRestarted() throws Exception {
    await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
        .until(() -> "Ready".equals(view().get("node-3").getString("state")));
    agents.remove("node-3").stop().await();
    await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
        .until(() -> "Stopped".equals(view().get("node-3").getString("state")));
    assertThat(view().get("node-3").getString("reason")).startsWith("its agent stopped: its Lease was removed at ");
    assertThat(view().get("node-2").getString("state")).isEqualTo("Ready");
    start("node-3");
    await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
        .until(() -> "Ready".equals(view().get("node-3").getString("state")));
  }

  @Test
  void thePageShowsEveryNodeUpdatingEachSecondAndOpensOneThroughTheAgent() {
    try (Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1280, 1400);
      Page page = w.page();
      page.navigate("http://127.0.0.1:" + agents.get("node-1").httpPort() + "/");
      waitFor(page, "window.nodepulseCluster && window.nodepulseCluster.nodes.length === 3"
          + " && window.nodepulseCluster.nodes.every(n => n.state === 'Ready' && n.percent != null)");
      String before = (String) page.evaluate("JSON.stringify(window.nodepulseCluster.nodes.map(n => n.sampledAt))");
      int updates = ((Number) page.evaluate("window.nodepulseCluster.updates")).intValue();
      // pushed once a second: a few more updates, and every node's figures newer than before
      waitFor(page, "window.nodepulseCluster.updates >= " + (updates + 3) + " && window.nodepulseCluster.nodes"
          + ".every((n, i) => n.sampledAt !== JSON.parse('" + before + "')[i])");
      assertThat(page.locator("#cluster-map .cell").count()).isEqualTo(3);
      assertThat(page.locator("#cluster-rows tr").count()).isEqualTo(3);
      assertThat(page.locator("#cluster-map .cell[data-node='node-2'] .cell-value").textContent()).endsWith("%");

      page.locator("table.nodes th[data-sort='percent']").click(); // sorted by CPU, busiest first
      assertThat(page.locator("table.nodes th[data-sort='percent']").getAttribute("data-dir")).isEqualTo("desc");
      List<Double> cpu = ((List<?>) page.evaluate("[...document.querySelectorAll('#cluster-rows tr td.cpu')]"
          + ".map(td => parseFloat(td.textContent))")).stream().map(v -> ((Number) v).doubleValue()).toList();
      assertThat(cpu).hasSize(3);

      page.locator("#cluster-map .cell[data-node='node-2']").click(); // node-2's own figures, through node-1
      waitFor(page, "document.getElementById('cn-cpu') && /%$/.test(document.getElementById('cn-cpu').textContent)"
          + " && document.querySelectorAll('#cn-procs tr').length > 0");
      assertThat(page.evaluate("window.nodepulseCluster.open")).isEqualTo("node-2");
      assertThat(w.requests()).anyMatch(u -> u.endsWith("/api/v1/cluster/nodes/node-2/cpu"));
      // the README's picture: refresh it with -Dnodepulse.clusterScreenshot=docs/cluster-view.png
      page.locator("#cluster").screenshot(new com.microsoft.playwright.Locator.ScreenshotOptions()
          .setPath(Path.of(System.getProperty("nodepulse.clusterScreenshot", "target/cluster-view.png"))));
      assertThat(w.errors()).isEmpty();

      // the Grafana dashboard's data link: #node=<name> opens that node's view
      Chromium.Watched linked = chromium.open(1280, 1400);
      linked.page().navigate("http://127.0.0.1:" + agents.get("node-1").httpPort() + "/#node=node-3");
      waitFor(linked.page(), "window.nodepulseCluster && window.nodepulseCluster.open === 'node-3'"
          + " && /%$/.test(document.getElementById('cn-cpu').textContent)");
      assertThat(linked.errors()).isEmpty();
    }
  }

  /**
   * A nodes: all task in the page's task table: each node's result, and the output of a run made on another node,
   * fetched through the agent viewed from the node that ran it.
   */
  @Test
  void aNodesAllTaskShowsEachNodesResultAndOpensAnotherNodesOutputThroughTheAgent() throws Exception {
    String yaml = "apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: everywhere, namespace: "
        + "default}\nspec:\n  delay: 0s\n  nodes: all\n  target: {compute: {pi: {digits: 12}}}\n";
    admin.resources(DelayedTaskResource.class).inNamespace("default")
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).create();
    try (Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1280, 1400);
      Page page = w.page();
      String origin = "http://127.0.0.1:" + agents.get("node-1").httpPort();
      page.navigate(origin + "/");
      page.locator("tr.task[data-key='default/everywhere']").click(new com.microsoft.playwright.Locator.ClickOptions()
          .setTimeout(60_000));
      waitFor(page, "document.querySelectorAll(\"a.node-output\").length === 3");
      String href = page.locator("a.node-output[data-node='node-2']").getAttribute("href");
      assertThat(href).isEqualTo("/api/v1/cluster/nodes/node-2/tasks/default/everywhere/runs/latest/output");
      com.microsoft.playwright.APIResponse output = page.request().get(origin + href);
      assertThat(output.status()).as(output.text()).isEqualTo(200);
      assertThat(output.text()).startsWith("3.14159");
      assertThat(page.locator("a.node-output[data-node='node-1']").getAttribute("href"))
          .as("this agent's own run: its own output").isEqualTo("/api/v1/tasks/default/everywhere/runs/latest/output");
      assertThat(w.errors()).isEmpty();
    } finally {
      admin.resources(DelayedTaskResource.class).inNamespace("default").withName("everywhere").delete();
    }
  }

  static void waitFor(Page page, String expression) {
    page.waitForFunction(expression, null, new Page.WaitForFunctionOptions().setTimeout(60_000).setPollingInterval(100));
  }

  @Test
  void aStandaloneAgentsPageShowsNoClusterView() throws Exception {
    Agent standalone = Agent.start(Config.forTest(Files.createDirectories(dir.resolve("standalone"))))
        .await(60, TimeUnit.SECONDS);
    try (Chromium chromium = Chromium.launch()) {
      Chromium.Watched w = chromium.open(1280, 900);
      w.page().navigate("http://127.0.0.1:" + standalone.httpPort() + "/");
      waitFor(w.page(), "window.nodepulseCluster && window.nodepulseCluster.mode === 'standalone'"
          + " && window.nodepulse.state === 'connected'");
      assertThat(w.page().locator("#cluster").count()).isZero();
      assertThat(w.requests()).noneMatch(u -> u.contains("/api/v1/cluster"));
      assertThat(w.errors()).isEmpty();
    } finally {
      standalone.stop().await();
    }
  }
}

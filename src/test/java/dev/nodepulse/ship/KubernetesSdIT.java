package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.AgentOutput;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node relabel, run by a real Prometheus' Kubernetes service discovery: Prometheus (built with it by
 * .ci/prometheus-k8s, since Debian's has none) with the
 * shipped scrape job {@code grafana/prometheus-scrape.yaml} (the node relabel of the ServiceMonitor in a plain
 * scrape config; the test only points its service discovery at the test's API server through kube-api-test's
 * kubeconfig and its token file at a file of its own) discovers, through a real API server (kube-api-test),
 * two agent pods (role pod) on the nodes node-a and node-b. No kubelet runs: the pods are created bound to
 * their nodes, their port named metrics being their agent's port, and their status (Running, pod IP
 * 127.0.0.1) set through the status subresource, so their addresses are two packaged agents on 127.0.0.1.
 * (The API server refuses loopback addresses in Endpoints and EndpointSlices, so the ServiceMonitor's
 * endpoints discovery cannot be pointed at a local agent; its relabelings are the job's, see ChartRenderTest.) The
 * agent of node-b reads a fixed /proc, so its series are told apart by value: every scraped series carries the
 * node of the pod it came from.
 */
@EnableKubeAPIServer(kubeAPIVersion = "1.34.4", apiServerFlags = {"--advertise-address", "127.0.0.1"})
class KubernetesSdIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = "nodepulse";
  /** The fixed /proc of node-b's agent: cpu0 spent 9156 ticks in user mode, that is 91.56 s. */
  private static final Path FIXED_PROC = KubeTools.ROOT.resolve("src/test/resources/proc/known/t1");
  private static final double FIXED_CPU0_USER_SECONDS = 91.56;

  @KubeConfig static String kubeConfigYaml;
  /** Injected by kube-api-test (admin), closed after the class. */
  static KubernetesClient client;
  @TempDir static Path tmp;
  static final List<Process> processes = new ArrayList<>();
  static LocalPrometheus prometheus;

  @BeforeAll
  static void start() throws Exception {
    Path prom = KubeTools.prometheusWithKubernetesSd();
    int portA = agent("node-a");
    int portB = agent("node-b", "--procfs", FIXED_PROC.toString());

    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
    // no controller manager: the namespace's default ServiceAccount is made by hand for the pods' admission
    client.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata()
        .withName("default").endMetadata().build()).create();
    // the DaemonSet's pods as the chart labels them, with the agent's port named metrics
    Map<String, String> selector = Map.of("app.kubernetes.io/name", "nodepulse", "app.kubernetes.io/instance", "nodepulse");
    for (Object[] node : new Object[][] {{"node-a", portA}, {"node-b", portB}}) {
      String nodeName = (String) node[0];
      int port = (Integer) node[1];
      Pod pod = client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata()
          .withName("nodepulse-" + nodeName).withLabels(selector).endMetadata()
          .withNewSpec().withNodeName(nodeName).withAutomountServiceAccountToken(false)
          .addNewContainer().withName("agent").withImage("nodepulse:test")
          .addNewPort().withName("metrics").withContainerPort(port).endPort().endContainer().endSpec().build()).create();
      pod.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP("127.0.0.1")
          .addNewPodIP().withIp("127.0.0.1").endPodIP().withHostIP("127.0.0.1").build());
      client.pods().inNamespace(NS).resource(pod).updateStatus();
    }

    prometheus = LocalPrometheus.start(prom, tmp, scrapeConfig());
  }

  /**
   * The shipped job, pointed at this test's API server (kubeconfig_file) and at a token file of the test's
   * (the agents here run without scrape authentication); its relabelling untouched.
   */
  static String scrapeConfig() throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    JsonNode shipped = yaml.readTree(KubeTools.ROOT.resolve("grafana/prometheus-scrape.yaml").toFile());
    ObjectNode job = (ObjectNode) shipped.path("scrape_configs").get(0);
    Path kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), kubeConfigYaml);
    ((ObjectNode) job.path("kubernetes_sd_configs").get(0)).put("kubeconfig_file", kubeconfig.toString());
    Path token = Files.writeString(tmp.resolve("token"), "test-token");
    ((ObjectNode) job.path("authorization")).put("credentials_file", token.toString());
    ObjectNode config = yaml.createObjectNode();
    config.putObject("global").put("scrape_interval", "1s").put("evaluation_interval", "1s");
    config.set("scrape_configs", shipped.path("scrape_configs"));
    return yaml.writeValueAsString(config);
  }

  @AfterAll
  static void stop() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    for (Process p : processes) {
      LocalPrometheus.stop(p);
    }
  }

  @Test
  void everyScrapedSeriesCarriesTheNodeOfItsPod() throws Exception {
    // both targets discovered and up, named by their node
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Map<String, String> up = new TreeMap<>();
      for (JsonNode s : query("up{job=\"nodepulse\"}")) {
        up.put(s.path("metric").path("node").asText(), s.path("metric").path("instance").asText() + "="
            + s.path("value").get(1).asText());
      }
      assertThat(up).as("prometheus output:\n%s", prometheus.output()).containsExactly(
          Map.entry("node-a", "node-a=1"), Map.entry("node-b", "node-b=1"));
    });
    // the series of node-b's agent (the fixed /proc) carry node-b, those of node-a's agent node-a
    JsonNode cpu0User = query("nodepulse_cpu_seconds_total{job=\"nodepulse\",cpu=\"0\",mode=\"user\"}");
    Map<String, Double> byNode = new TreeMap<>();
    cpu0User.forEach(s -> byNode.put(s.path("metric").path("node").asText(), s.path("value").get(1).asDouble()));
    assertThat(byNode).containsOnlyKeys("node-a", "node-b");
    assertThat(byNode.get("node-b")).isEqualTo(FIXED_CPU0_USER_SECONDS);
    assertThat(byNode.get("node-a")).isNotEqualTo(FIXED_CPU0_USER_SECONDS);
    // and no series of the job lacks the label
    assertThat(query("count({job=\"nodepulse\",node=\"\"})")).isEmpty();
    assertThat(query("count by (node) ({job=\"nodepulse\"})")).hasSize(2);
    // what service discovery saw: each pod's node from the API server
    JsonNode active = JSON.readTree(prometheus.get("/api/v1/targets?state=active").body()).path("data").path("activeTargets");
    List<String> discovered = new ArrayList<>();
    active.forEach(t -> discovered.add(t.path("discoveredLabels").path("__meta_kubernetes_pod_name").asText() + " on "
        + t.path("discoveredLabels").path("__meta_kubernetes_pod_node_name").asText()));
    assertThat(discovered).containsExactlyInAnyOrder("nodepulse-node-a on node-a", "nodepulse-node-b on node-b");
  }

  // ------------------------------------------------------------------ helpers

  private static int agent(String node, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"), "--http-port", "0",
        "--data-dir", tmp.resolve("data-" + node).toString(), "--node-name", node));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.add(p);
    return AgentOutput.awaitPort(p, new StringBuilder(), 90);
  }

  private static JsonNode query(String promql) throws Exception {
    HttpResponse<String> r = prometheus.get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("status").asText()).as(promql + ": " + r.body()).isEqualTo("success");
    return body.path("data").path("result");
  }

}

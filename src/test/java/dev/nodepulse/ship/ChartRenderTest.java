package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart with the real helm: lint and render with default values and with every option on, the
 * values schema enforced, what the DaemonSet, RBAC and ServiceMonitor promise, and the files rendered
 * from the chart (k8s/, grafana/alerts.yaml, the dashboard copy) not drifted.
 */
class ChartRenderTest {
  @TempDir Path home;

  private KubeTools.Result helm(String... args) throws Exception {
    return KubeTools.helm(home, args);
  }

  private Rendered template(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", "nodepulse", KubeTools.CHART.toString(), "--namespace", "nodepulse"));
    args.addAll(List.of(extra));
    return Rendered.parse(helm(args.toArray(String[]::new)).ok());
  }

  /**
   * What each scenario of helm/nodepulse/ci (one values file per main value set, as the node-exporter chart
   * keeps them) is for, seen in what it renders. Every file there has an entry.
   */
  private static final Map<String, Consumer<Rendered>> SCENARIOS = Map.of(
      "default-values.yaml", r -> assertThat(r.kinds()).containsExactly("ClusterRole", "ClusterRole",
          "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Secret", "Service", "Service", "ServiceAccount",
          "ValidatingWebhookConfiguration"),
      "all-options-values.yaml", r -> assertThat(r.kinds()).containsExactly("ClusterRole", "ClusterRole",
          "ClusterRoleBinding", "ClusterRoleBinding", "ConfigMap", "ConfigMap", "DaemonSet", "NetworkPolicy",
          "PrometheusRule", "Secret", "Service", "Service", "ServiceAccount", "ServiceMonitor",
          "ValidatingWebhookConfiguration"),
      "no-webhook-values.yaml", r -> {
        assertThat(r.kinds()).doesNotContain("Secret", "ValidatingWebhookConfiguration").containsOnlyOnce("Service");
        assertThat(container(r).path("args").toString()).doesNotContain("--webhook");
        assertThat(container(r).path("ports")).hasSize(1);
        assertThat(pod(r).path("volumes").toString()).doesNotContain("webhook");
      },
      "metrics-auth-none-values.yaml", r -> {
        assertThat(container(r).path("args").toString()).contains("--metrics-auth=none");
        assertThat(r.ofKind("ClusterRole")).extracting(o -> o.path("metadata").path("name").asText())
            .containsExactly("nodepulse");
        assertThat(r.one("ServiceMonitor").path("spec").path("endpoints").get(0).has("bearerTokenFile"))
            .as("no token sent where none is asked").isFalse();
      },
      "monitoring-values.yaml", r -> {
        JsonNode sm = r.one("ServiceMonitor");
        assertThat(sm.path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus-stack");
        assertThat(sm.path("spec").path("endpoints").get(0).path("interval").asText()).isEqualTo("15s");
        JsonNode rule = r.one("PrometheusRule");
        assertThat(rule.path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus-stack");
        assertThat(rule.path("spec").toString()).contains("job=\\\"nodes\\\"", "0.8").doesNotContain("job=\\\"nodepulse\\\"");
        assertThat(r.named("ClusterRoleBinding", "nodepulse-metrics-reader").path("subjects").get(0).path("name").asText())
            .isEqualTo("prometheus-k8s");
      },
      "networkpolicy-values.yaml", r -> {
        JsonNode ingress = r.one("NetworkPolicy").path("spec").path("ingress");
        assertThat(ingress).hasSize(2);
        assertThat(ingress.get(0).path("ports").toString()).isEqualTo("[{\"port\":\"metrics\",\"protocol\":\"TCP\"}]");
        assertThat(ingress.get(0).path("from").get(0).has("namespaceSelector")).isTrue();
        // and the agents, whose cluster view asks their peers on the metrics port
        assertThat(ingress.get(0).path("from").get(1).path("podSelector").path("matchLabels").path("app.kubernetes.io/name")
            .asText()).isEqualTo("nodepulse");
        // the API server's calls to the admission webhook come from the control plane, whatever Prometheus' place
        assertThat(ingress.get(1).toString()).isEqualTo("{\"ports\":[{\"port\":\"webhook\",\"protocol\":\"TCP\"}]}");
      },
      "no-rootfs-values.yaml", r -> {
        JsonNode pod = pod(r);
        assertThat(hostPaths(pod)).doesNotContain("/").contains("/proc", "/sys", "/srv/nodepulse", "/srv/nodepulse-pipes");
        assertThat(pod.has("initContainers")).as("the nodes prepare the directories").isFalse();
        assertThat(container(r).path("args").toString()).doesNotContain("--rootfs").contains("--pipe-dir=/srv/nodepulse-pipes");
      },
      "example-tasks-values.yaml", r -> {
        JsonNode tasks = r.named("ConfigMap", "nodepulse-example-tasks");
        assertThat(tasks.path("metadata").path("labels").path("nodepulse.dev/tasks").asText()).isEqualTo("true");
        assertThat(tasks.path("data").size()).isPositive();
      },
      "scheduling-values.yaml", r -> {
        JsonNode pod = pod(r);
        assertThat(pod.path("tolerations")).as("only the GPU taint, not every taint").hasSize(1);
        assertThat(pod.path("tolerations").get(0).path("key").asText()).isEqualTo("nvidia.com/gpu");
        assertThat(pod.path("nodeSelector").path("node-role.kubernetes.io/worker").isTextual()).isTrue();
        assertThat(pod.path("priorityClassName").asText()).isEqualTo("system-node-critical");
        assertThat(container(r).path("resources").path("limits").path("memory").asText()).isEqualTo("320Mi");
        assertThat(container(r).path("env").toString()).contains("{\"name\":\"_JAVA_OPTIONS\",\"value\":\"-Xmx160m\"}");
        assertThat(r.one("DaemonSet").path("spec").path("updateStrategy").path("rollingUpdate").path("maxUnavailable")
            .asText()).isEqualTo("10%");
      },
      "existing-serviceaccount-values.yaml", r -> {
        assertThat(r.kinds()).doesNotContain("ServiceAccount", "ClusterRoleBinding").containsOnlyOnce("ClusterRole");
        assertThat(pod(r).path("serviceAccountName").asText()).isEqualTo("nodepulse-agent");
        assertThat(r.ofKind("ConfigMap")).as("no dashboard").isEmpty();
      });

  static Stream<String> scenarios() throws Exception {
    try (Stream<Path> files = Files.list(KubeTools.CHART.resolve("ci"))) {
      return files.map(f -> f.getFileName().toString()).sorted().toList().stream();
    }
  }

  @Test
  void everyScenarioSaysWhatItIsFor() throws Exception {
    assertThat(scenarios()).containsExactlyInAnyOrderElementsOf(SCENARIOS.keySet()).allMatch(f -> f.endsWith("-values.yaml"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void eachScenarioLintsAndRendersWhatItIsFor(String scenario) throws Exception {
    String values = KubeTools.CHART.resolve("ci").resolve(scenario).toString();
    assertThat(helm("lint", "--strict", KubeTools.CHART.toString(), "-f", values).ok()).contains("0 chart(s) failed");
    Rendered r = template("-f", values);
    assertThat(SCENARIOS).containsKey(scenario);
    SCENARIOS.get(scenario).accept(r);
  }

  private static JsonNode pod(Rendered r) {
    return r.one("DaemonSet").path("spec").path("template").path("spec");
  }

  private static JsonNode container(Rendered r) {
    return pod(r).path("containers").get(0);
  }

  /**
   * {@code auto} renders the operator's objects when the cluster serves monitoring.coreos.com/v1, as documented:
   * named by its group/version alone ({@code helm template --api-versions monitoring.coreos.com/v1}) or, as a
   * cluster's discovery names them, with its kinds, where the kind decides.
   */
  @Test
  void autoFollowsTheGroupVersionAndTheKindsTheClusterNames() throws Exception {
    assertThat(template("--api-versions", "monitoring.coreos.com/v1").kinds()).contains("ServiceMonitor", "PrometheusRule");
    assertThat(template("--api-versions", "monitoring.coreos.com/v1", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
        .kinds()).contains("ServiceMonitor").doesNotContain("PrometheusRule");
    assertThat(template("--api-versions", "monitoring.coreos.com/v1beta1").kinds()).doesNotContain("ServiceMonitor",
        "PrometheusRule");
  }

  @Test
  void monitoringObjectsFollowTheClustersApisUnlessToldOtherwise() throws Exception {
    String[] operator = {"--api-versions", "monitoring.coreos.com/v1/ServiceMonitor",
        "--api-versions", "monitoring.coreos.com/v1/PrometheusRule"};
    assertThat(template(operator).kinds()).contains("ServiceMonitor", "PrometheusRule");
    List<String> off = new ArrayList<>(List.of(operator));
    off.addAll(List.of("--set", "serviceMonitor.create=false", "--set", "prometheusRule.create=false"));
    assertThat(template(off.toArray(String[]::new)).kinds()).doesNotContain("ServiceMonitor", "PrometheusRule");
    assertThat(template("--set", "serviceMonitor.create=true").kinds()).contains("ServiceMonitor");
  }

  @Test
  void theSchemaRefusesBadValuesNamingThem() throws Exception {
    KubeTools.Result auth = helm("template", "x", KubeTools.CHART.toString(), "--set", "metrics.auth=basic");
    assertThat(auth.exit()).isNotZero();
    assertThat(auth.err()).contains("metrics", "auth");
    KubeTools.Result unknown = helm("template", "x", KubeTools.CHART.toString(), "--set", "metrics.portt=1");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err()).contains("portt");
    KubeTools.Result duration = helm("template", "x", KubeTools.CHART.toString(), "--set", "agent.sampleInterval=fast");
    assertThat(duration.exit()).isNotZero();
    assertThat(duration.err()).contains("sampleInterval");
    KubeTools.Result tri = helm("template", "x", KubeTools.CHART.toString(), "--set", "serviceMonitor.create=maybe");
    assertThat(tri.exit()).isNotZero();
    assertThat(tri.err()).contains("serviceMonitor");
  }

  @Test
  void theDaemonSetIsLockedDownAndReadsTheHostReadOnly() throws Exception {
    JsonNode pod = template().one("DaemonSet").path("spec").path("template").path("spec");
    assertThat(pod.path("hostNetwork").asBoolean(false)).isFalse();
    assertThat(pod.path("hostPID").asBoolean(false)).isFalse();
    assertThat(pod.path("hostIPC").asBoolean(false)).isFalse();
    assertThat(pod.path("tolerations").get(0).path("operator").asText()).isEqualTo("Exists");
    JsonNode c = pod.path("containers").get(0);
    JsonNode sc = c.path("securityContext");
    assertThat(sc.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(sc.path("capabilities").path("drop").toString()).isEqualTo("[\"ALL\"]");
    assertThat(sc.path("capabilities").has("add")).isFalse();
    assertThat(pod.path("securityContext").path("runAsUser").asInt()).isPositive();

    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));
    assertThat(args).contains("--procfs=/host/proc", "--sysfs=/host/sys", "--rootfs=/host/root",
        "--http-host=127.0.0.1", "--metrics-host=0.0.0.0", "--metrics-port=9101", "--metrics-auth=kubernetes",
        "--mode=kubernetes");
    JsonNode nodeName = c.path("env").get(0);
    assertThat(nodeName.path("name").asText()).isEqualTo("NODE_NAME");
    assertThat(nodeName.path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("spec.nodeName");
    JsonNode podIp = c.path("env").get(1);
    assertThat(podIp.path("name").asText()).as("where peers reach the agent, written on its Lease").isEqualTo("POD_IP");
    assertThat(podIp.path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("status.podIP");
    assertThat(c.path("livenessProbe").path("httpGet").path("port").asText()).isEqualTo("metrics");
    assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    assertThat(c.path("ports")).hasSize(2);
    assertThat(c.path("ports").get(0).path("containerPort").asInt()).isEqualTo(9101);
    assertThat(c.path("ports").get(1).path("name").asText()).isEqualTo("webhook");
    assertThat(c.path("resources").path("limits").path("memory").asText()).isNotEmpty();

    for (JsonNode m : c.path("volumeMounts")) {
      if (m.path("mountPath").asText().startsWith("/host/")) {
        assertThat(m.path("readOnly").asBoolean()).as(m.toString()).isTrue();
      }
    }
    assertThat(hostPaths(pod)).contains("/proc", "/sys", "/", "/var/lib/nodepulse", "/run/nodepulse/pipes");

    assertThat(c.path("env")).as("no JVM options by default: the image's own").hasSize(2);
    JsonNode heap = template("--set", "jvmOptions=-Xmx256m").one("DaemonSet").path("spec").path("template")
        .path("spec").path("containers").get(0).path("env").get(2);
    assertThat(heap.path("name").asText()).isEqualTo("_JAVA_OPTIONS");
    assertThat(heap.path("value").asText()).isEqualTo("-Xmx256m");

    // no filesystem figures wanted: no host root in the pod
    JsonNode noRoot = template("--set", "host.rootfs=false").one("DaemonSet").path("spec").path("template").path("spec");
    assertThat(hostPaths(noRoot)).doesNotContain("/").contains("/proc", "/sys");
    assertThat(noRoot.path("containers").get(0).path("args").toString()).doesNotContain("--rootfs");
  }

  @Test
  void theDaemonSetRunsTheImagesCommandWithTheCacheTrainedForKubernetesMode() throws Exception {
    List<String> command = new ArrayList<>();
    template().one("DaemonSet").path("spec").path("template").path("spec").path("containers").get(0).path("command")
        .forEach(a -> command.add(a.asText()));
    String docker = Files.readString(KubeTools.ROOT.resolve("Dockerfile")).replaceAll("\\\\\\n\\s*", " ");
    Matcher m = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*])$").matcher(docker);
    assertThat(m.find()).as("the Dockerfile has an ENTRYPOINT").isTrue();
    List<String> entrypoint = new JsonArray(m.group(1)).stream().map(Object::toString).toList();
    assertThat(command).isEqualTo(entrypoint.stream()
        .map(a -> a.equals("-XX:AOTCache=/opt/nodepulse/nodepulse.aot") ? "-XX:AOTCache=/opt/nodepulse/nodepulse-kube.aot" : a)
        .toList());
    assertThat(docker).as("the image makes that cache").contains("-XX:AOTCacheOutput=/opt/nodepulse/nodepulse-kube.aot "
        + "-cp /opt/nodepulse/nodepulse.jar dev.nodepulse.AotTraining kubernetes");
    // the JVM options are the one argument file the launcher uses too (src/main/jvm/jvm.options), copied into the image
    assertThat(command.subList(0, 2)).containsExactly("java", "@/opt/nodepulse/jvm.options");
    assertThat(docker).containsPattern("(?m)^COPY src/main/jvm/jvm.options /opt/nodepulse/jvm.options$");
    assertThat(Files.readString(KubeTools.ROOT.resolve("nodepulse"))).contains("argfile=\"$here/src/main/jvm/jvm.options\"");
    assertThat(Files.readAllLines(KubeTools.ROOT.resolve("src/main/jvm/jvm.options")))
        .as("an agent never lives on broken: the kubelet restarts it").contains("-XX:+ExitOnOutOfMemoryError");
  }

  private static List<String> hostPaths(JsonNode pod) {
    List<String> out = new ArrayList<>();
    pod.path("volumes").forEach(v -> {
      if (v.has("hostPath")) {
        out.add(v.path("hostPath").path("path").asText());
      }
    });
    return out;
  }

  @Test
  void theAgentsClusterRoleIsExactlyWhatItUses() throws Exception {
    JsonNode role = template().named("ClusterRole", "nodepulse");
    List<String> rules = new ArrayList<>();
    for (JsonNode r : role.path("rules")) {
      if (r.has("nonResourceURLs")) {
        rules.add(r.path("nonResourceURLs") + ":" + r.path("verbs"));
        continue;
      }
      rules.add(r.path("apiGroups").get(0).asText() + "/" + r.path("resources").get(0).asText() + ":" + r.path("verbs"));
      assertThat(r.path("apiGroups")).hasSize(1);
      assertThat(r.path("resources")).hasSize(1);
    }
    assertThat(rules).containsExactlyInAnyOrder(
        "nodepulse.dev/delayedtasks:[\"get\",\"list\",\"watch\"]",
        "nodepulse.dev/delayedtasks/status:[\"get\",\"update\",\"patch\"]",
        "/configmaps:[\"get\",\"list\",\"watch\"]",
        "/secrets:[\"get\"]",
        "/nodes:[\"get\"]",
        "/pods:[\"list\",\"watch\"]",
        "/events:[\"create\",\"patch\"]",
        "coordination.k8s.io/leases:[\"get\",\"list\",\"watch\",\"create\",\"update\",\"delete\"]",
        "authentication.k8s.io/tokenreviews:[\"create\"]",
        "authorization.k8s.io/subjectaccessreviews:[\"create\"]",
        "[\"/nodepulse/peer\"]:[\"get\"]");
    JsonNode reader = template().named("ClusterRole", "nodepulse-metrics-reader");
    assertThat(reader.path("rules").toString()).isEqualTo("[{\"nonResourceURLs\":[\"/metrics\"],\"verbs\":[\"get\"]}]");
  }

  @Test
  void theServiceIsHeadlessForMetricsOnlyAndTheServiceMonitorPutsTheNodeOnEverySeries() throws Exception {
    Rendered all = template("-f", KubeTools.ALL_OPTIONS.toString());
    JsonNode svc = all.named("Service", "nodepulse").path("spec");
    assertThat(svc.path("clusterIP").asText()).isEqualTo("None");
    assertThat(svc.path("ports")).hasSize(1);
    assertThat(svc.path("ports").get(0).path("name").asText()).isEqualTo("metrics");
    JsonNode endpoint = all.one("ServiceMonitor").path("spec").path("endpoints").get(0);
    assertThat(endpoint.path("port").asText()).isEqualTo("metrics");
    assertThat(endpoint.path("bearerTokenFile").asText()).isNotEmpty();
    JsonNode relabel = endpoint.path("relabelings").get(0);
    assertThat(relabel.path("sourceLabels").toString()).isEqualTo("[\"__meta_kubernetes_pod_node_name\"]");
    assertThat(relabel.path("targetLabel").asText()).isEqualTo("node");
    JsonNode dashboard = all.named("ConfigMap", "nodepulse-dashboard");
    assertThat(dashboard.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("nodepulse");
    assertThat(dashboard.path("data").path("nodepulse.json").asText())
        .isEqualTo(Files.readString(KubeTools.ROOT.resolve("grafana/nodepulse.json")).strip());
    JsonNode tasks = all.named("ConfigMap", "nodepulse-example-tasks");
    assertThat(tasks.path("metadata").path("labels").path("nodepulse.dev/tasks").asText()).isEqualTo("true");
  }

  /**
   * The plain scrape job (grafana/prometheus-scrape.yaml, run by KubernetesSdIT) relabels as the ServiceMonitor
   * does: the same relabelings, in Prometheus' spelling, after its own keep rule; the same token file.
   */
  @Test
  void thePlainScrapeJobRelabelsAsTheServiceMonitorDoes() throws Exception {
    JsonNode endpoint = template("-f", KubeTools.ALL_OPTIONS.toString()).one("ServiceMonitor").path("spec")
        .path("endpoints").get(0);
    List<String> fromServiceMonitor = new ArrayList<>();
    for (JsonNode r : endpoint.path("relabelings")) {
      fromServiceMonitor.add(r.path("sourceLabels").toString() + " -> " + r.path("targetLabel").asText() + " ("
          + r.path("action").asText() + ")");
    }
    JsonNode job = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
        .readTree(KubeTools.ROOT.resolve("grafana/prometheus-scrape.yaml").toFile()).path("scrape_configs").get(0);
    assertThat(job.path("job_name").asText()).as("the job the plain alerts select").isEqualTo("nodepulse");
    JsonNode relabels = job.path("relabel_configs");
    assertThat(relabels.get(0).path("action").asText()).isEqualTo("keep");
    List<String> fromJob = new ArrayList<>();
    for (int i = 1; i < relabels.size(); i++) {
      JsonNode r = relabels.get(i);
      fromJob.add(r.path("source_labels").toString() + " -> " + r.path("target_label").asText() + " ("
          + r.path("action").asText() + ")");
    }
    assertThat(fromJob).isEqualTo(fromServiceMonitor).contains("[\"__meta_kubernetes_pod_node_name\"] -> node (replace)");
    assertThat(job.path("authorization").path("credentials_file").asText())
        .isEqualTo(endpoint.path("bearerTokenFile").asText());
  }

  @Test
  void filesRenderedFromTheChartHaveNotDrifted() throws Exception {
    Path out = home.resolve("out");
    KubeTools.Result r = KubeTools.run(home.resolve("render-home"), List.of(KubeTools.ROOT.resolve("k8s/render.sh").toString(), out.toString()));
    r.ok();
    for (String f : List.of("k8s/nodepulse.yaml", "grafana/alerts.yaml", "helm/nodepulse/files/nodepulse.json")) {
      assertThat(Files.readString(KubeTools.ROOT.resolve(f)))
          .as("%s differs from what k8s/render.sh makes now: run k8s/render.sh and commit", f)
          .isEqualTo(Files.readString(out.resolve(f)));
    }
  }
}

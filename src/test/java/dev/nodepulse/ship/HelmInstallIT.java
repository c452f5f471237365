package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart and the plain manifests against a real API server (kube-api-test): helm install with the
 * defaults and with every option on (the Prometheus Operator's own ServiceMonitor and PrometheusRule CRDs,
 * from .ci/operator-crds, applied so those objects are created and validated too), helm upgrade with
 * changed values, helm uninstall leaving nothing but the CRD, and kubectl apply of k8s/. There is no node,
 * so the DaemonSet has no pod: every object is created, nothing runs. The chart's ServiceMonitor and
 * PrometheusRule also pass a strict server-side validation against the operator's schemas.
 */
@EnableKubeAPIServer(kubeAPIVersion = "1.34.4", apiServerFlags = {"--advertise-address", "127.0.0.1"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmInstallIT {
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path tmp;
  static Path kubeconfig;
  /** Injected by kube-api-test (admin), closed after the class. */
  static KubernetesClient client;

  static final Path CRD = KubeTools.CHART.resolve("crds/delayedtasks.nodepulse.dev.yaml");
  static final ResourceDefinitionContext SERVICE_MONITORS = new ResourceDefinitionContext.Builder()
      .withGroup("monitoring.coreos.com").withVersion("v1").withPlural("servicemonitors").withKind("ServiceMonitor")
      .withNamespaced(true).build();
  static final ResourceDefinitionContext PROMETHEUS_RULES = new ResourceDefinitionContext.Builder()
      .withGroup("monitoring.coreos.com").withVersion("v1").withPlural("prometheusrules").withKind("PrometheusRule")
      .withNamespaced(true).build();

  @BeforeAll
  static void connect() throws Exception {
    kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
  }

  static KubeTools.Result helm(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--kubeconfig", kubeconfig.toString()));
    return KubeTools.helm(tmp.resolve("home"), all.toArray(String[]::new));
  }

  static KubeTools.Result kubectl(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--kubeconfig", kubeconfig.toString()));
    return KubeTools.kubectl(tmp.resolve("home"), all.toArray(String[]::new));
  }

  /** Every object of ours left in the cluster, as kind/namespace/name. */
  static List<String> ours() {
    String sel = "app.kubernetes.io/part-of";
    List<HasMetadata> found = new ArrayList<>();
    found.addAll(client.apps().daemonSets().inAnyNamespace().withLabel(sel).list().getItems());
    found.addAll(client.serviceAccounts().inAnyNamespace().withLabel(sel).list().getItems());
    found.addAll(client.services().inAnyNamespace().withLabel(sel).list().getItems());
    found.addAll(client.configMaps().inAnyNamespace().withLabel(sel).list().getItems());
    found.addAll(client.network().networkPolicies().inAnyNamespace().withLabel(sel).list().getItems());
    found.addAll(client.rbac().clusterRoles().withLabel(sel).list().getItems());
    found.addAll(client.rbac().clusterRoleBindings().withLabel(sel).list().getItems());
    found.addAll(client.secrets().inAnyNamespace().withLabel("owner", "helm").list().getItems());
    found.addAll(client.secrets().inAnyNamespace().withLabel(sel).list().getItems());
    found.addAll(client.admissionRegistration().v1().validatingWebhookConfigurations().withLabel(sel).list().getItems());
    if (client.apiextensions().v1().customResourceDefinitions().withName("servicemonitors.monitoring.coreos.com").get() != null) {
      found.addAll(client.genericKubernetesResources(SERVICE_MONITORS).inAnyNamespace().withLabel(sel).list().getItems());
      found.addAll(client.genericKubernetesResources(PROMETHEUS_RULES).inAnyNamespace().withLabel(sel).list().getItems());
    }
    return found.stream().map(o -> o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
        .sorted().toList();
  }

  @Test
  @Order(1)
  void installWithDefaultsCreatesEveryObject() throws Exception {
    String out = helm("install", "nodepulse", KubeTools.CHART.toString(), "--namespace", "nodepulse",
        "--create-namespace").ok();
    assertThat(out).contains("STATUS: deployed").contains("kubectl -n nodepulse port-forward");
    assertThat(ours()).containsExactlyInAnyOrder(
        "ClusterRole/null/nodepulse", "ClusterRole/null/nodepulse-metrics-reader", "ClusterRoleBinding/null/nodepulse",
        "ConfigMap/nodepulse/nodepulse-dashboard", "DaemonSet/nodepulse/nodepulse", "Service/nodepulse/nodepulse",
        "ServiceAccount/nodepulse/nodepulse", "Secret/nodepulse/sh.helm.release.v1.nodepulse.v1",
        "Secret/nodepulse/nodepulse-webhook", "Service/nodepulse/nodepulse-webhook",
        "ValidatingWebhookConfiguration/null/nodepulse-webhook");
    if (Files.exists(CRD)) {
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName("delayedtasks.nodepulse.dev").get())
          .isNotNull();
    }
  }

  @Test
  @Order(2)
  void upgradeWithChangedValuesAndTheOperatorsApisPresent() throws Exception {
    applyMonitoringCrds();
    String ca = client.secrets().inNamespace("nodepulse").withName("nodepulse-webhook").get().getData().get("ca.crt");
    helm("upgrade", "nodepulse", KubeTools.CHART.toString(), "--namespace", "nodepulse",
        "--set", "agent.sampleInterval=5s", "--set", "networkPolicy.enabled=true", "--set", "host.rootfs=false").ok();
    DaemonSet ds = client.apps().daemonSets().inNamespace("nodepulse").withName("nodepulse").get();
    assertThat(ds.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("--sample-interval=5s").doesNotContain("--rootfs=/host/root");
    // the webhook's CA and certificate are kept (lookup), and the registration still names that CA
    assertThat(client.secrets().inNamespace("nodepulse").withName("nodepulse-webhook").get().getData().get("ca.crt"))
        .isEqualTo(ca);
    assertThat(client.admissionRegistration().v1().validatingWebhookConfigurations().withName("nodepulse-webhook").get()
        .getWebhooks().get(0).getClientConfig().getCaBundle()).isEqualTo(ca);
    // create: auto, and the cluster now has monitoring.coreos.com/v1
    assertThat(ours()).contains("NetworkPolicy/nodepulse/nodepulse", "ServiceMonitor/nodepulse/nodepulse",
        "PrometheusRule/nodepulse/nodepulse");
  }

  @Test
  @Order(3)
  void installWithEveryOptionOn() throws Exception {
    helm("install", "full", KubeTools.CHART.toString(), "--namespace", "full", "--create-namespace",
        "-f", KubeTools.ALL_OPTIONS.toString()).ok();
    assertThat(ours().stream().filter(o -> o.contains("full")).toList()).containsExactlyInAnyOrder(
        "ClusterRole/null/full-nodepulse", "ClusterRole/null/full-nodepulse-metrics-reader",
        "ClusterRoleBinding/null/full-nodepulse", "ClusterRoleBinding/null/full-nodepulse-metrics-reader",
        "ConfigMap/full/full-nodepulse-dashboard", "ConfigMap/full/full-nodepulse-example-tasks",
        "DaemonSet/full/full-nodepulse", "NetworkPolicy/full/full-nodepulse", "PrometheusRule/full/full-nodepulse",
        "Secret/full/sh.helm.release.v1.full.v1", "Service/full/full-nodepulse", "ServiceAccount/full/full-nodepulse",
        "ServiceMonitor/full/full-nodepulse", "Secret/full/full-nodepulse-webhook", "Service/full/full-nodepulse-webhook",
        "ValidatingWebhookConfiguration/null/full-nodepulse-webhook");
    GenericKubernetesResource sm = client.genericKubernetesResources(SERVICE_MONITORS).inNamespace("full")
        .withName("full-nodepulse").get();
    assertThat(sm.get("spec", "endpoints", 0, "relabelings", 0, "targetLabel").toString()).isEqualTo("node");
  }

  @Test
  @Order(4)
  void uninstallLeavesNothingButTheCrd() throws Exception {
    helm("uninstall", "nodepulse", "--namespace", "nodepulse").ok();
    helm("uninstall", "full", "--namespace", "full").ok();
    // foreground deletion is not waited for by helm: the objects go at once (no garbage collector here)
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ours()).isEmpty());
    assertThat(client.namespaces().withName("nodepulse").get()).as("helm never deletes a namespace (docs/ship.md)")
        .isNotNull();
    if (Files.exists(CRD)) {
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName("delayedtasks.nodepulse.dev").get())
          .as("helm never deletes a CRD it installed from crds/").isNotNull();
    }
  }

  @Test
  @Order(5)
  void thePlainManifestsApplyAndASecondApplyChangesNothing() throws Exception {
    String manifests = KubeTools.ROOT.resolve("k8s/nodepulse.yaml").toString();
    kubectl("apply", "-f", manifests).ok();
    assertThat(ours()).contains("DaemonSet/nodepulse/nodepulse", "ClusterRole/null/nodepulse",
        "Service/nodepulse/nodepulse");
    // what the manifests say is what the API server keeps: nothing it defaults or normalizes differs
    List<String> again = kubectl("apply", "-f", manifests).ok().lines().toList();
    assertThat(again).isNotEmpty().allMatch(l -> l.endsWith(" unchanged"), "says unchanged");
  }

  @Test
  @Order(6)
  void theExamplesAreAcceptedByTheApiServer() throws Exception {
    Assumptions.assumeTrue(Files.exists(CRD), "the DelayedTask CRD is not in helm/nodepulse/crds yet "
        + "(the kube engineer's crd-ready tag)");
    List<Path> files;
    try (Stream<Path> s = Files.list(KubeTools.ROOT.resolve("k8s/examples"))) {
      files = s.sorted().toList();
    }
    for (Path f : files) {
      kubectl("apply", "--server-side", "-f", f.toString()).ok();
    }
    assertThat(kubectl("get", "dtask", "-n", "default", "-o", "name").ok())
        .contains("warm-cache", "ping-cache", "reload-nginx", "pi-5000");
  }

  @Test
  @Order(7)
  void theOperatorsSchemasAcceptTheChartsObjectsStrictlyAndRefuseABrokenOne() throws Exception {
    applyMonitoringCrds();
    // the chart's ServiceMonitor and PrometheusRule with every option on (scrape authentication included),
    // checked by the API server against the operator's schemas: an unknown or mistyped field is an error here,
    // where helm install would only have pruned it with a warning
    String rendered = helm("template", "strict", KubeTools.CHART.toString(), "--namespace", "default",
        "-f", KubeTools.ALL_OPTIONS.toString()).ok();
    Rendered all = Rendered.parse(rendered);
    YAMLMapper yaml = new YAMLMapper();
    for (String kind : List.of("ServiceMonitor", "PrometheusRule")) {
      Path file = tmp.resolve(kind + ".yaml");
      yaml.writeValue(file.toFile(), all.one(kind));
      assertThat(kubectl("create", "--dry-run=server", "--validate=strict", "-f", file.toString()).ok())
          .contains("created (server dry run)");
    }
    // the schema is the operator's, not an open one: a relabel action it does not know is refused by name
    ObjectNode broken = all.one("ServiceMonitor").deepCopy();
    ((ObjectNode) broken.path("spec").path("endpoints").get(0).path("relabelings").get(0)).put("action", "rename");
    Path brokenFile = tmp.resolve("broken-servicemonitor.yaml");
    yaml.writeValue(brokenFile.toFile(), broken);
    KubeTools.Result refused = kubectl("create", "--dry-run=server", "--validate=strict", "-f", brokenFile.toString());
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("spec.endpoints[0].relabelings[0].action");
    ObjectNode unknown = all.one("PrometheusRule").deepCopy();
    ((ObjectNode) unknown.path("spec")).put("rulez", "x");
    Path unknownFile = tmp.resolve("unknown-prometheusrule.yaml");
    yaml.writeValue(unknownFile.toFile(), unknown);
    KubeTools.Result unknownRefused = kubectl("create", "--dry-run=server", "--validate=strict", "-f", unknownFile.toString());
    assertThat(unknownRefused.exit()).isNotZero();
    assertThat(unknownRefused.err()).contains("rulez");
  }

  /**
   * Every scenario of helm/nodepulse/ci (ChartRenderTest checks what each is for), rendered and created in a dry
   * run by the API server with strict validation: each object valid against the cluster's schemas (the
   * operator's for ServiceMonitor and PrometheusRule), no unknown or mistyped field.
   */
  @Test
  @Order(8)
  void everyScenarioIsValidForTheApiServer() throws Exception {
    applyMonitoringCrds();
    kubectl("create", "namespace", "scenarios").ok();
    List<Path> scenarios;
    try (Stream<Path> s = Files.list(KubeTools.CHART.resolve("ci"))) {
      scenarios = s.sorted().toList();
    }
    assertThat(scenarios).hasSizeGreaterThan(2);
    for (Path values : scenarios) {
      String name = values.getFileName().toString().replace("-values.yaml", "");
      Path rendered = tmp.resolve(name + ".yaml");
      Files.writeString(rendered, helm("template", name, KubeTools.CHART.toString(), "--namespace", "scenarios",
          "-f", values.toString()).ok());
      String out = kubectl("create", "--dry-run=server", "--validate=strict", "-f", rendered.toString()).ok();
      assertThat(out.lines()).as(name).isNotEmpty().allMatch(l -> l.endsWith(" created (server dry run)"));
    }
  }

  /**
   * The Prometheus Operator's own ServiceMonitor and PrometheusRule CRDs (full schemas, generated from the
   * operator's API types by .ci/operator-crds), applied and established. Fails naming the setup step when
   * they are missing.
   */
  static void applyMonitoringCrds() throws Exception {
    for (String plural : List.of("servicemonitors", "prometheusrules")) {
      kubectl("apply", "--server-side", "--force-conflicts", "-f", KubeTools.operatorCrd(plural).toString()).ok();
    }
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Stream.of("servicemonitors", "prometheusrules")
        .allMatch(p -> client.apiextensions().v1().customResourceDefinitions().withName(p + ".monitoring.coreos.com")
            .get().getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"))));
  }
}

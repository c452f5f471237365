package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
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
 * defaults and with every option on (the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs
 * applied here in a minimal form, schema left open, so those objects are created too), helm upgrade with
 * changed values, helm uninstall leaving nothing but the CRD, and kubectl apply of k8s/. There is no node,
 * so the DaemonSet has no pod: every object is created, nothing runs.
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
        "ServiceAccount/nodepulse/nodepulse", "Secret/nodepulse/sh.helm.release.v1.nodepulse.v1");
    if (Files.exists(CRD)) {
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName("delayedtasks.nodepulse.dev").get())
          .isNotNull();
    }
  }

  @Test
  @Order(2)
  void upgradeWithChangedValuesAndTheOperatorsApisPresent() throws Exception {
    applyMonitoringCrds();
    helm("upgrade", "nodepulse", KubeTools.CHART.toString(), "--namespace", "nodepulse",
        "--set", "agent.sampleInterval=5s", "--set", "networkPolicy.enabled=true", "--set", "host.rootfs=false").ok();
    DaemonSet ds = client.apps().daemonSets().inNamespace("nodepulse").withName("nodepulse").get();
    assertThat(ds.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("--sample-interval=5s").doesNotContain("--rootfs=/host/root");
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
        "ServiceMonitor/full/full-nodepulse");
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
    if (Files.exists(CRD)) {
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName("delayedtasks.nodepulse.dev").get())
          .as("helm never deletes a CRD it installed from crds/").isNotNull();
    }
  }

  @Test
  @Order(5)
  void thePlainManifestsApply() throws Exception {
    kubectl("apply", "-f", KubeTools.ROOT.resolve("k8s/nodepulse.yaml").toString()).ok();
    assertThat(ours()).contains("DaemonSet/nodepulse/nodepulse", "ClusterRole/null/nodepulse",
        "Service/nodepulse/nodepulse");
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

  /** Minimal ServiceMonitor and PrometheusRule CRDs (schema left open), as the Prometheus Operator names them. */
  static void applyMonitoringCrds() {
    for (String[] kind : new String[][] {{"servicemonitors", "ServiceMonitor"}, {"prometheusrules", "PrometheusRule"}}) {
      String yaml = """
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: {name: %1$s.monitoring.coreos.com}
          spec:
            group: monitoring.coreos.com
            scope: Namespaced
            names: {plural: %1$s, singular: %3$s, kind: %2$s}
            versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
          """.formatted(kind[0], kind[1], kind[1].toLowerCase());
      client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> client.apiextensions().v1()
        .customResourceDefinitions().withName("prometheusrules.monitoring.coreos.com").get().getStatus()
        .getConditions().stream().anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")));
  }
}

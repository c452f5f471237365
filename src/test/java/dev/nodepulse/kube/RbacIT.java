package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as the chart's ServiceAccount (impersonated), bound to exactly the chart's ClusterRole: Leases,
 * informers, claims, status, Secrets, Events all work, and the API server refuses what the role does not grant.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class RbacIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;
  static final String SA = "system:serviceaccount:default:nodepulse";

  /** The rules of the chart's ClusterRole (helm/nodepulse/templates/clusterrole.yaml), as agreed for issue 9. */
  static final List<PolicyRule> RULES = List.of(
      rule("nodepulse.dev", "delayedtasks", "get", "list", "watch", "delete"),
      rule("nodepulse.dev", "delayedtasks/status", "get", "update", "patch"),
      rule("", "configmaps", "get", "list", "watch"),
      rule("", "secrets", "get"),
      rule("", "nodes", "get"),
      rule("", "pods", "list", "watch"),
      rule("", "events", "create", "patch"),
      rule("coordination.k8s.io", "leases", "get", "list", "watch", "create", "update", "delete"),
      rule("authentication.k8s.io", "tokenreviews", "create"),
      rule("authorization.k8s.io", "subjectaccessreviews", "create"));

  static PolicyRule rule(String group, String resource, String... verbs) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withVerbs(verbs).build();
  }

  @Test
  void theChartsClusterRoleHoldsExactlyTheseRules() throws Exception {
    Path chart = Path.of("helm/nodepulse/templates/clusterrole.yaml");
    if (!Files.exists(chart)) {
      return; // the chart's ClusterRole comes with the ship branch
    }
    String yaml = String.join("\n", Files.readAllLines(chart).stream().filter(l -> !l.contains("{{")).toList());
    JsonNode rules = new YAMLMapper().readTree(yaml).get("rules");
    List<String> found = new ArrayList<>();
    List<String> nonResource = new ArrayList<>();
    rules.forEach(r -> {
      if (r.has("nonResourceURLs")) { // the peers' URL (docs/kubernetes.md "Peers"), checked below
        nonResource.add(r.get("nonResourceURLs").toString() + r.get("verbs"));
      } else {
        found.add(r.get("apiGroups").toString() + r.get("resources") + r.get("verbs"));
      }
    });
    assertThat(nonResource).containsExactly("[\"/nodepulse/peer\"][\"get\"]");
    List<String> expected = RULES.stream().map(r -> ("[\"" + r.getApiGroups().get(0) + "\"]" + "[\""
        + r.getResources().get(0) + "\"]" + r.getVerbs().stream().map(v -> "\"" + v + "\"").toList())
        .replace(", ", ",")).toList();
    assertThat(found).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void everyPathWorksAsTheServiceAccountWithNo403() throws Exception {
    TestCluster.installCrd(client);
    client.resource(new ServiceAccountBuilder().withNewMetadata().withName("nodepulse").withNamespace("default")
        .endMetadata().build()).serverSideApply();
    client.resource(new ClusterRoleBuilder().withNewMetadata().withName("nodepulse").endMetadata()
        .withRules(RULES).build()).serverSideApply();
    client.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName("nodepulse").endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "nodepulse")
        .addNewSubject().withKind("ServiceAccount").withName("nodepulse").withNamespace("default").endSubject()
        .build()).serverSideApply();
    client.resource(new SecretBuilder().withNewMetadata().withName("shop-token").withNamespace("default").endMetadata()
        .addToStringData("token", "s3cret").build()).create();

    Vertx vertx = Vertx.vertx();
    List<String> tokens = new CopyOnWriteArrayList<>();
    HttpServer target = vertx.createHttpServer().requestHandler(req -> {
      tokens.add(req.path() + " " + req.getHeader("X-Token"));
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    Path kubeconfig = TestCluster.useKubeconfig(dir, kubeConfigYaml);
    System.setProperty("kubernetes.impersonate.username", SA);
    System.setProperty("kubernetes.impersonate.group", "system:serviceaccounts,system:serviceaccounts:default,"
        + "system:authenticated");
    client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName("node-r")
        .addToLabels("kubernetes.io/os", "linux").endMetadata().build()).serverSideApply();
    Agent agent = null;
    try {
      agent = Agent.start(Config.forTest(Files.createDirectories(dir.resolve("data")), "--mode", "kubernetes",
          "--node-name", "node-r", "--lease-duration", "3s")).await(60, TimeUnit.SECONDS);
      Agent a = agent;
      WebClient web = WebClient.create(vertx);
      await().atMost(90, TimeUnit.SECONDS).until(() -> web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await()
          .bodyAsJsonObject().getJsonObject("components").getJsonObject("kubernetes").getBoolean("ready"));
      JsonObject health = web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await().bodyAsJsonObject()
          .getJsonObject("components").getJsonObject("kubernetes");
      assertThat(health.getString("warning")).as("nodes get is granted: the node's labels are read for nodeSelector")
          .isNull();

      int port = target.actualPort();
      assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
          apiVersion: nodepulse.dev/v1alpha1
          kind: DelayedTask
          metadata: {name: secret-header, namespace: default}
          spec:
            delay: 1s
            target:
              http:
                url: "http://127.0.0.1:%d/task"
                headers: {X-Token: {valueFrom: {secretKeyRef: {name: shop-token, key: token}}}}
          """.formatted(port)).exitCode()).isZero();
      client.resource(new ConfigMapBuilder().withNewMetadata().withName("jobs").withNamespace("default")
          .addToLabels("nodepulse.dev/tasks", "true").endMetadata()
          .addToData("good", "delay: 1s\ntarget: {http: {url: \"http://127.0.0.1:" + port + "/cm\"}}\n")
          .addToData("bad", "delay: 1s\ntarget: {compute: {pi: {digits: 0}}}\n").build()).create();

      await().atMost(60, TimeUnit.SECONDS).until(() -> {
        DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default")
            .withName("secret-header").get();
        return t.getStatus() != null && t.getStatus().lastRun != null;
      });
      DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default")
          .withName("secret-header").get();
      assertThat(t.getStatus().lastRun.outcome).as(t.getStatus().lastRun.error).isEqualTo("SUCCEEDED");
      assertThat(t.getStatus().claimedBy).isEqualTo("node-r");
      assertThat(tokens).contains("/task s3cret");
      assertThat(client.getKubernetesSerialization().asJson(t.getStatus())).doesNotContain("s3cret");
      await().atMost(60, TimeUnit.SECONDS).until(() -> tokens.stream().anyMatch(s -> s.startsWith("/cm")));
      await().atMost(60, TimeUnit.SECONDS).until(() -> client.v1().events().inNamespace("default").list().getItems()
          .stream().map(e -> e.getReason()).toList().containsAll(List.of("InvalidTask", "RunSucceeded")));
      assertThat(client.v1().events().inNamespace("default").list().getItems())
          .allSatisfy(e -> assertThat(e.getSource().getHost()).isEqualTo("node-r"));
      // the ConfigMap task's claim Lease: written as the ServiceAccount, and deleted by it when the task goes away
      String claim = ClaimLeases.leaseName("default/jobs.good");
      await().atMost(60, TimeUnit.SECONDS).until(() -> client.leases().inNamespace("default").withName(claim).get()
          != null);
      client.configMaps().inNamespace("default").withName("jobs").delete();
      await().atMost(60, TimeUnit.SECONDS).until(() -> client.leases().inNamespace("default").withName(claim).get()
          == null);
      // a finished one-shot past its ttlAfterFinished: deleted by the ServiceAccount (delete on delayedtasks)
      assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
          apiVersion: nodepulse.dev/v1alpha1
          kind: DelayedTask
          metadata: {name: brief, namespace: default}
          spec: {delay: 1s, ttlAfterFinished: 0s, target: {http: {url: "http://127.0.0.1:%d/brief"}}}
          """.formatted(port)).exitCode()).isZero();
      await().atMost(60, TimeUnit.SECONDS).until(() -> tokens.stream().anyMatch(s -> s.startsWith("/brief")));
      await().atMost(60, TimeUnit.SECONDS).until(() -> client.resources(DelayedTaskResource.class)
          .inNamespace("default").withName("brief").get() == null);
      assertThat(web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await().bodyAsJsonObject()
          .getJsonObject("components").getJsonObject("kubernetes").containsKey("lastError")).isFalse();
    } finally {
      if (agent != null) {
        agent.stop().await();
      }
      vertx.close().await();
      System.clearProperty("kubeconfig");
      System.clearProperty("kubernetes.impersonate.username");
      System.clearProperty("kubernetes.impersonate.group");
    }
  }
}

package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials as kubectl takes them, against a real API server: a kubeconfig whose user has {@code tokenFile:} (a
 * ServiceAccount's token, bound to the chart's rules) makes a ready agent whose writes are that identity's; an
 * identity lacking a permission is told by name, with the verb and resource refused; a user entry the agent cannot
 * honour stops the start, naming it.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class CredentialsIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;
  Vertx vertx = Vertx.vertx();
  final List<Agent> agents = new ArrayList<>();

  @AfterEach
  void tearDown() {
    for (Agent a : agents) {
      a.stop().await();
    }
    vertx.close().await();
    System.clearProperty("kubeconfig");
  }

  /** A ServiceAccount bound to {@code rules}, and a kubeconfig for it whose user reads its token from a file. */
  Path kubeconfigWithTokenFile(String sa, List<PolicyRule> rules) throws Exception {
    client.resource(new ServiceAccountBuilder().withNewMetadata().withName(sa).withNamespace("default")
        .endMetadata().build()).serverSideApply();
    client.resource(new ClusterRoleBuilder().withNewMetadata().withName(sa).endMetadata().withRules(rules).build())
        .serverSideApply();
    client.resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(sa).endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", sa)
        .addNewSubject().withKind("ServiceAccount").withName(sa).withNamespace("default").endSubject()
        .build()).serverSideApply();
    String token = client.serviceAccounts().inNamespace("default").withName(sa).tokenRequest(new TokenRequestBuilder()
        .withNewSpec().withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
    Path home = Files.createDirectories(dir.resolve(sa));
    Files.writeString(home.resolve("token"), token + "\n");
    // the admin kubeconfig's cluster (its server and CA as they are), with a user of our own
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode config = (ObjectNode) yaml.readTree(kubeConfigYaml);
    ArrayNode contexts = (ArrayNode) config.get("contexts");
    ObjectNode context = (ObjectNode) contexts.get(0).get("context");
    context.put("user", sa).put("namespace", "default");
    config.set("contexts", yaml.createArrayNode().add(contexts.get(0)));
    config.put("current-context", contexts.get(0).get("name").asText());
    ObjectNode user = yaml.createObjectNode().put("name", sa);
    user.set("user", yaml.createObjectNode().put("tokenFile", "token"));
    config.set("users", yaml.createArrayNode().add(user));
    Path kubeconfig = home.resolve("kubeconfig");
    Files.writeString(kubeconfig, yaml.writeValueAsString(config));
    return kubeconfig;
  }

  Agent start(Path kubeconfig, String node) throws Exception {
    System.setProperty("kubeconfig", kubeconfig.toString());
    Agent a = Agent.start(Config.forTest(Files.createDirectories(dir.resolve("data-" + node)), "--mode",
        "kubernetes", "--node-name", node, "--lease-duration", "3s")).await(60, TimeUnit.SECONDS);
    agents.add(a);
    return a;
  }

  JsonObject kubeHealth(Agent a) {
    return WebClient.create(vertx).get(a.httpPort(), "127.0.0.1", "/readyz").send().await().bodyAsJsonObject()
        .getJsonObject("components").getJsonObject("kubernetes");
  }

  @Test
  void aTokenFileKubeconfigMakesAReadyAgentWhoseWritesAreThatIdentitys() throws Exception {
    TestCluster.installCrd(client);
    Agent a = start(kubeconfigWithTokenFile("np-file", RbacIT.RULES), "node-t");
    await().atMost(90, TimeUnit.SECONDS).until(() -> kubeHealth(a).getBoolean("ready"));
    assertThat(kubeHealth(a).getString("identity")).startsWith("system:serviceaccount:default:np-file ");
    assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: as-file, namespace: default}
        spec:
          delay: 1s
          target: {compute: {pi: {digits: 10}}}
        """).exitCode()).isZero();
    await().atMost(60, TimeUnit.SECONDS).until(() -> {
      DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default")
          .withName("as-file").get();
      return t.getStatus() != null && t.getStatus().lastRun != null;
    });
    DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default").withName("as-file")
        .get();
    assertThat(t.getStatus().lastRun.outcome).isEqualTo("SUCCEEDED");
    assertThat(t.getStatus().claimedBy).isEqualTo("node-t");
    assertThat(client.leases().inNamespace("default").withName("node-t").get()).isNotNull();
  }

  @Test
  void anIdentityLackingAPermissionIsNamedWithTheVerbAndResourceRefused() throws Exception {
    TestCluster.installCrd(client);
    List<PolicyRule> noLeaseWrites = new ArrayList<>(RbacIT.RULES.stream()
        .filter(r -> !r.getResources().contains("leases")).toList());
    noLeaseWrites.add(RbacIT.rule("coordination.k8s.io", "leases", "get", "list", "watch"));
    Agent a = start(kubeconfigWithTokenFile("np-limited", noLeaseWrites), "node-l");
    await().atMost(60, TimeUnit.SECONDS).until(() -> kubeHealth(a).containsKey("lastError"));
    assertThat(kubeHealth(a).getString("lastError")).isEqualTo("HTTP 403: system:serviceaccount:default:np-limited "
        + "may not create leases.coordination.k8s.io in namespace default (grant it to that identity, as the "
        + "chart's ClusterRole does)");
    assertThat(kubeHealth(a).getBoolean("ready")).isFalse();
  }

  @Test
  void aUserEntryTheAgentCannotHonourStopsTheStartNamingIt() throws Exception {
    Path kubeconfig = kubeconfigWithTokenFile("np-uid", RbacIT.RULES);
    Files.writeString(kubeconfig, Files.readString(kubeconfig).replace("tokenFile: \"token\"",
        "tokenFile: \"token\"\n    as: \"someone\"\n    as-uid: \"1234\""));
    System.setProperty("kubeconfig", kubeconfig.toString());
    Path data = dir.resolve("data-uid");
    assertThatThrownBy(() -> Agent.start(Config.forTest(Files.createDirectories(data), "--mode", "kubernetes",
        "--node-name", "node-u")).await(60, TimeUnit.SECONDS))
        .hasMessageContaining("kubeconfig " + kubeconfig + ", user np-uid: not supported: as-uid");
    Files.writeString(kubeconfig, Files.readString(kubeconfig).replace("\n    as: \"someone\"\n    as-uid: \"1234\"",
        "").replace("tokenFile: \"token\"", "tokenFile: \"missing-token\""));
    assertThatThrownBy(() -> Agent.start(Config.forTest(data, "--mode", "kubernetes", "--node-name", "node-u"))
        .await(60, TimeUnit.SECONDS)).hasMessageContaining("kubeconfig " + kubeconfig + ", user np-uid: tokenFile "
            + kubeconfig.getParent().resolve("missing-token") + " does not exist");
  }
}

package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole agent in Kubernetes mode as node-a, on a real API server, with a fixture cgroup tree holding the cgroups of
 * a pod bound to node-a and of one bound to node-b: /api/v1/pods names node-a's pod and its container from the API
 * server, and leaves the other unnamed (the agent's pod watch is restricted to spec.nodeName=node-a).
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class PodUsageIT {
  static final String NGINX_ID = "a1".repeat(32);
  static final String FIXTURE_A = "1f3a2b4c_0000_4000_8000_00000000000a";
  static final String FIXTURE_B = "1f3a2b4c_0000_4000_8000_00000000000b";
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static Agent agent;
  static WebClient web;
  static Pod mine;
  static Pod theirs;

  static Pod pod(String name, String node) {
    Pod p = client.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("nginx").withImage("nginx:1.27").endContainer()
        .endSpec().build()).create();
    p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running")
        .withContainerStatuses(new ContainerStatusBuilder().withName("nginx").withImage("nginx:1.27").withImageID("")
            .withReady(true).withRestartCount(0).withContainerID("containerd://" + NGINX_ID).build()).build());
    return client.resource(p).updateStatus();
  }

  @BeforeAll
  static void start() throws Exception {
    TestCluster.installCrd(client);
    client.resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build()).serverSideApply();
    mine = pod("web-0", "node-a");
    theirs = pod("web-1", "node-b");
    // the fixture tree, with its two pods' slices renamed to the uids the API server gave
    Path cgroup = dir.resolve("sys/fs/cgroup");
    dev.nodepulse.usage.UsageFixtures.copy("cgroup/v2-systemd/t1", cgroup, rel -> rel
        .replace(FIXTURE_A, mine.getMetadata().getUid().replace('-', '_'))
        .replace(FIXTURE_B, theirs.getMetadata().getUid().replace('-', '_')));
    Path kubeconfig = TestCluster.useKubeconfig(dir, kubeConfigYaml);
    agent = Agent.start(Config.forTest(Files.createDirectories(dir.resolve("data")), "--mode", "kubernetes",
        "--node-name", "node-a", "--sysfs", dir.resolve("sys").toString())).await(60, TimeUnit.SECONDS);
    web = WebClient.create(agent.vertx());
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      agent.stop().await();
    }
    System.clearProperty("kubeconfig");
  }

  static JsonObject get(String path) {
    var r = web.get(agent.httpPort(), "127.0.0.1", path).send().await();
    return new JsonObject().put("status", r.statusCode()).put("body", r.bodyAsString());
  }

  @Test
  void podsOfThisNodeAreNamedAndOthersAreNot() {
    await().atMost(90, TimeUnit.SECONDS).until(() -> get("/api/v1/pods/shop/web-0").getInteger("status") == 200);
    JsonObject pod = new JsonObject(get("/api/v1/pods/shop/web-0").getString("body"));
    assertThat(pod.getString("uid")).isEqualTo(mine.getMetadata().getUid());
    assertThat(pod.getString("qos")).isEqualTo("burstable");
    JsonArray containers = pod.getJsonArray("containers");
    assertThat(containers.stream().map(c -> ((JsonObject) c).getString("name"))).contains("nginx");

    JsonObject all = new JsonObject(get("/api/v1/pods").getString("body"));
    JsonObject other = all.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(p -> theirs.getMetadata().getUid().equals(p.getString("uid"))).findFirst().orElseThrow();
    assertThat(other.getValue("name")).as("a pod of node-b is never sent to node-a's agent").isNull();
    assertThat(get("/api/v1/pods/shop/web-1").getInteger("status")).isEqualTo(404);
    JsonObject usage = new JsonObject(get("/readyz").getString("body")).getJsonObject("components").getJsonObject("usage");
    assertThat(usage.getInteger("namedPods")).isEqualTo(1);

    // the pod is deleted: its name goes with it
    client.pods().inNamespace("shop").withName("web-0").withGracePeriod(0).delete();
    await().atMost(60, TimeUnit.SECONDS).until(() -> get("/api/v1/pods/shop/web-0").getInteger("status") == 404);
  }
}

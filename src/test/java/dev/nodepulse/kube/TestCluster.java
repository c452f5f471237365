package dev.nodepulse.kube;

import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Shared steps of the tests against a real API server. */
final class TestCluster {
  private TestCluster() {}

  /** Installs the committed CRD (the chart's copy) and waits until it is served. */
  static void installCrd(KubernetesClient client) {
    CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
        .load(CrdDriftTest.CHART_COPY.toFile()).item();
    if (client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get() == null) {
      client.resource(crd).create();
    }
    client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
        .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
            && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);
  }

  /**
   * Whole agents in Kubernetes mode, one per node name (data under {@code dir/<node>}, a 3 s Lease), started and
   * waited for until their kubernetes component is ready; the kubeconfig comes from the {@code kubeconfig} property.
   */
  static List<Agent> agents(Path dir, Vertx vertx, String... nodes) throws Exception {
    List<Agent> agents = new ArrayList<>();
    for (String node : nodes) {
      agents.add(agent(dir, node));
    }
    WebClient web = WebClient.create(vertx);
    for (Agent a : agents) {
      await().atMost(90, TimeUnit.SECONDS).until(() -> web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await()
          .bodyAsJsonObject().getJsonObject("components").getJsonObject("kubernetes").getBoolean("ready"));
    }
    return agents;
  }

  /** One agent in Kubernetes mode for {@code node} (data under {@code dir/<node>}, kept across a restart), started. */
  static Agent agent(Path dir, String node) throws Exception {
    Config config = Config.forTest(Files.createDirectories(dir.resolve(node)), "--mode", "kubernetes",
        "--node-name", node, "--lease-duration", "3s");
    return Agent.start(config).await(60, TimeUnit.SECONDS);
  }

  /** Starts an agent as a process of its own (so it can be killed with SIGKILL), logging to {@code dir/<node>.log}. */
  static Process agentProcess(Path dir, Path kubeconfig, String node) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("nodepulse.jar", "target/nodepulse.jar"), "--mode", "kubernetes", "--node-name", node,
        "--lease-duration", "3s", "--http-port", "0", "--data-dir",
        Files.createDirectories(dir.resolve(node)).toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve(node + ".log").toFile());
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().remove("KUBERNETES_SERVICE_HOST");
    return pb.start();
  }

  /**
   * Writes {@code yaml} as the test's kubeconfig in {@code dir} and has the agents started in this JVM use it (the
   * {@code kubeconfig} property fabric8 reads; {@link #stop} forgets it). Returns the file, for agents in processes.
   */
  static Path useKubeconfig(Path dir, String yaml) throws java.io.IOException {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, yaml);
    System.setProperty("kubeconfig", kubeconfig.toString());
    return kubeconfig;
  }

  /** Stops the agents and their test's Vert.x, and forgets the kubeconfig the agents were given. */
  static void stop(List<Agent> agents, Vertx vertx) {
    for (Agent a : agents) {
      a.stop().await();
    }
    vertx.close().await();
    System.clearProperty("kubeconfig");
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code nodes: one} with N whole agents (one JVM) against one real API server: a task every second for a while;
 * counts the target's requests, the runs in status, the writes the agents made to the task, the task's
 * modifications seen by a watch, and duplicates (two requests less than half a period apart).
 * Usage: bench/kube/run.sh [agents] [seconds].
 */
public final class KubeBench {
  private KubeBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(Kubectl.K8S_VERSION).withOfflineMode(true)
        .withApiServerFlag("--advertise-address", "127.0.0.1").withStartupTimeout(120_000).build());
    server.start();
    Path dir = Files.createTempDirectory("kubebench");
    Vertx vertx = Vertx.vertx();
    List<Instant> hits = new CopyOnWriteArrayList<>();
    HttpServer target = vertx.createHttpServer().requestHandler(r -> {
      hits.add(Instant.now());
      r.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    List<Agent> agents = new ArrayList<>();
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
      TestCluster.installCrd(client);
      TestCluster.useKubeconfig(dir, server.getKubeConfigYaml());
      long t0 = System.nanoTime();
      for (int i = 1; i <= n; i++) {
        agents.add(Agent.start(Config.forTest(Files.createDirectories(dir.resolve("node-" + i)), "--mode",
            "kubernetes", "--node-name", "node-" + i, "--lease-duration", "5s", "--log-level", "warn"))
            .await(120, TimeUnit.SECONDS));
      }
      long leases;
      do {
        Thread.sleep(500); // a benchmark waiting for the cluster to settle, not a test
        leases = client.leases().inNamespace("default").list().getItems().size();
      } while (leases < n);
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      AtomicLong modified = new AtomicLong();
      long writesBefore = KubeLink.ALL_TASK_WRITES.get();
      Watch watch = client.resources(DelayedTaskResource.class).inNamespace("default").withName("bench")
          .watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, DelayedTaskResource resource) {
              if (action == Action.MODIFIED) {
                modified.incrementAndGet();
              }
            }

            @Override
            public void onClose(WatcherException cause) {}
          });
      DelayedTaskResource task = client.getKubernetesSerialization().unmarshal("""
          {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
           "metadata": {"name": "bench", "namespace": "default"},
           "spec": {"every": "1s", "nodes": "one", "target": {"http": {"url": "http://127.0.0.1:%d/"}}}}
          """.formatted(target.actualPort()), DelayedTaskResource.class);
      client.resource(task).create();
      Thread.sleep(Duration.ofSeconds(seconds).toMillis());
      client.resource(task).delete();
      Thread.sleep(3000);
      watch.close();
      long writes = KubeLink.ALL_TASK_WRITES.get() - writesBefore;
      List<Instant> h = new ArrayList<>(hits);
      int duplicates = 0;
      for (int i = 1; i < h.size(); i++) {
        if (Duration.between(h.get(i - 1), h.get(i)).toMillis() < 500) {
          duplicates++;
        }
      }
      System.out.printf("agents %d, %d s of a nodes: one task every 1s%n", n, seconds);
      System.out.printf("agents up and leased in %.1f s%n", startSeconds);
      System.out.printf("runs (target requests) %d, expected about %d, duplicates %d%n", h.size(), seconds, duplicates);
      System.out.printf("writes by agents to the task %d (%.2f per run); task MODIFIED events %d (%.2f per run)%n",
          writes, (double) writes / Math.max(1, h.size()), modified.get(), (double) modified.get() / Math.max(1, h.size()));
    } finally {
      for (Agent a : agents) {
        a.stop().await();
      }
      vertx.close().await();
      server.stop();
    }
    System.exit(0);
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the API-server outage tests share (OutageIT cuts the connection, RestartIT restarts the kube-apiserver):
 * a target that records every path and answers each request to {@code /every} with its own number (which the
 * run's result then carries), two agents, and the two tasks an outage is tried with.
 */
final class OutageScenario {
  final List<String> hits = new CopyOnWriteArrayList<>();
  final AtomicInteger every = new AtomicInteger();
  final HttpServer target;

  OutageScenario(Vertx vertx) {
    target = vertx.createHttpServer().requestHandler(req -> {
      hits.add(req.path());
      req.response().end(req.path().equals("/every") ? "request-" + every.incrementAndGet() : "ok");
    }).listen(0, "127.0.0.1").await();
  }

  /** A kubeconfig in {@code dir} that reaches the API server through {@code proxyPort}, where a test's Proxy listens. */
  record Proxied(int apiPort, int proxyPort, Path kubeconfig) {}

  static Proxied proxied(Path dir, String kubeConfigYaml) throws java.io.IOException {
    int apiPort = Integer.parseInt(kubeConfigYaml.replaceAll("(?s).*server: *\"?https://127\\.0\\.0\\.1:(\\d+).*", "$1"));
    int proxyPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      proxyPort = s.getLocalPort();
    }
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml.replace("127.0.0.1:" + apiPort, "127.0.0.1:" + proxyPort));
    return new Proxied(apiPort, proxyPort, kubeconfig);
  }

  /** Starts agents on node-x and node-y (Kubernetes mode, 3 s leases), adding each to {@code agents} once up. */
  static void startTwoAgents(Path dir, List<Agent> agents) throws Exception {
    for (String node : List.of("node-x", "node-y")) {
      agents.add(Agent.start(Config.forTest(Files.createDirectories(dir.resolve(node)), "--mode", "kubernetes",
          "--node-name", node, "--lease-duration", "3s")).await(60, TimeUnit.SECONDS));
    }
  }

  /** A one-shot {@code during} due {@code at} (with the given startingDeadline) and {@code every} 2 s. */
  String tasks(Instant at, String startingDeadline) {
    return """
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: during, namespace: default}
        spec:
          at: "%s"
          startingDeadline: %s
          target: {http: {url: "http://127.0.0.1:%d/during"}}
        ---
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: every, namespace: default}
        spec:
          every: 2s
          target: {http: {url: "http://127.0.0.1:%d/every"}}
        """.formatted(at, startingDeadline, target.actualPort(), target.actualPort());
  }
}

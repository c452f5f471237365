package dev.nodepulse;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Flags;
import dev.nodepulse.kube.wire.WireTraining;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The training run for the JDK's AOT cache ({@code java -XX:AOTCacheOutput=nodepulse.aot -cp nodepulse.jar
 * dev.nodepulse.AotTraining}): starts a whole standalone agent on a free loopback port with a scratch
 * data dir, lets it sample a few times, asks what a page, a scraper and a probe ask, then stops it.
 * The classes loaded and linked on the way go into the cache, so a later start with
 * {@code -XX:AOTCache=nodepulse.aot} skips that work. Used by the {@code nodepulse} launcher and the
 * Dockerfile; the agent's own entry point stays {@link Main}. With the argument {@code kubernetes} it trains the
 * image's second cache, for the chart's DaemonSet: Kubernetes mode with the chart's flags, whose ~4,000 more
 * classes (the API client, Jackson databind, the JDK's HTTP client and TLS) would cost a standalone agent ~25 MiB
 * of RSS if they were in its cache.
 */
public final class AotTraining {
  private static final List<String> PATHS = List.of("/readyz", "/healthz", "/metrics", "/api/v1/host", "/api/v1/cpu",
      "/api/v1/cpu/times", "/api/v1/memory", "/api/v1/partitions", "/api/v1/history", "/api/v1/tasks", "/");

  private AotTraining() {}

  public static void main(String[] args) throws Exception {
    boolean kubernetes = args.length == 1 && args[0].equals("kubernetes");
    if (args.length > 0 && !kubernetes) {
      System.err.println("usage: AotTraining [kubernetes]");
      System.exit(2);
    }
    Path scratch = Files.createTempDirectory("nodepulse-aot-");
    List<String> flags = new ArrayList<>(List.of("--http-host", "127.0.0.1", "--http-port", "0",
        "--data-dir", scratch.toString(), "--sample-interval", "200ms", "--log-level", "warn"));
    try (ServerSocket apiServer = kubernetes ? closedDoor() : null) {
      if (kubernetes) {
        // the chart's flags; the client as inside a pod (no kubeconfig file), aimed at a port that hangs up
        System.setProperty("kubernetes.master", "https://127.0.0.1:" + apiServer.getLocalPort());
        System.setProperty("kubernetes.auth.tryKubeConfig", "false");
        System.setProperty("kubernetes.auth.tryServiceAccount", "false");
        System.setProperty("kubernetes.auth.token", "aot-training");
        System.setProperty("kubernetes.namespace", "default");
        System.setProperty("kubernetes.trust.certificates", "true");
        flags.addAll(List.of("--mode", "kubernetes", "--node-name", "aot-training", "--metrics-host", "127.0.0.1",
            "--metrics-port", "0", "--metrics-auth", "kubernetes"));
        int read = WireTraining.run();
        if (read == 0) {
          throw new IllegalStateException("the Kubernetes training read no task");
        }
      }
      Config config = Flags.parse(flags.toArray(String[]::new), Map.of());
      Agent agent = Agent.start(config).await(2, TimeUnit.MINUTES);
      try {
        for (int round = 0; round < 5; round++) {
          for (String path : PATHS) {
            get(agent.httpPort(), path);
          }
          if (kubernetes) {
            get(agent.metricsPort(), "/metrics"); // through scrape authentication, which cannot reach the API server
          }
          // a few samples between rounds, so the per-sample path (read, publish, render) is trained too
          Future<Long> later = Future.future(p -> agent.vertx().setTimer(300, p::complete));
          later.await(30, TimeUnit.SECONDS);
        }
      } finally {
        agent.stop().await(30, TimeUnit.SECONDS);
      }
    } finally {
      try (Stream<Path> files = Files.walk(scratch)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        System.err.println("nodepulse: could not remove " + scratch + ": " + e.getMessage());
      }
    }
    System.exit(0);
  }

  /**
   * A loopback port that accepts and hangs up: no API server answers at image build, so Kubernetes mode goes as
   * far as a client does against one that is unreachable (its TLS handshake, the backoff, the health state).
   */
  private static ServerSocket closedDoor() throws IOException {
    ServerSocket door = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("aot-closed-door").start(() -> {
      while (!door.isClosed()) {
        try {
          door.accept().close();
        } catch (IOException e) {
          return;
        }
      }
    });
    return door;
  }

  /**
   * One GET over a plain socket, read to the end: an HTTP client (Vert.x's or the JDK's) would put its own
   * classes into the cache, and every class in the cache is mapped into every agent.
   */
  private static void get(int port, String path) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      s.getInputStream().transferTo(OutputStream.nullOutputStream());
    }
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.KubeAPIServerConfig;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubeapitest.binary.BinaryManager;
import io.fabric8.kubeapitest.cert.CertManager;
import io.fabric8.kubeapitest.kubeconfig.KubeConfig;
import io.fabric8.kubeapitest.process.EtcdProcess;
import io.fabric8.kubeapitest.process.KubeAPIServerProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import dev.nodepulse.tasks.model.Schedule;
import java.time.Duration;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.WebClient;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kube-apiserver restart: the kube-apiserver process is stopped and started again while etcd keeps running
 * (and its data). fabric8 kube-api-test's {@code KubeAPIServer} stops both and wipes etcd, so this test drives its
 * public parts itself (the same binaries, certificates and flags): {@link EtcdProcess} once, and
 * {@link KubeAPIServerProcess} stopped and started. A restarted kube-apiserver listens on a new port (kube-api-test
 * picks it), so the agents reach it at one address through a plain TCP forwarder, as a cluster's Service address or
 * load balancer stays while the server behind it restarts. Shown: a run due while the API server is down runs once
 * after it is back; the informers watch again (a task created after the restart runs); the Leases renew; a task every
 * 2 s runs each due time once, matched per request (the target answers with the request's number).
 */
class RestartIT {
  @TempDir Path dir;

  /** kube-apiserver and etcd as kube-api-test starts them, with the kube-apiserver alone restartable. */
  static final class ApiServer implements AutoCloseable {
    private final KubeAPIServerConfig config;
    private final BinaryManager binaries;
    private final CertManager certs;
    private final EtcdProcess etcd;
    private final KubeConfig kubeConfig;
    private final int etcdPort;
    private KubeAPIServerProcess apiServer;

    ApiServer() {
      config = KubeAPIServerConfigBuilder.anAPIServerConfig()
          .withApiServerVersion(Kubectl.K8S_VERSION).withOfflineMode(true)
          .withApiServerFlag("--advertise-address", "127.0.0.1").withStartupTimeout(120_000).build();
      binaries = new BinaryManager(config);
      binaries.initAndDownloadIfRequired();
      certs = new CertManager(config.getKubeAPITestDir());
      certs.createCertificatesIfNeeded();
      kubeConfig = new KubeConfig(certs, binaries);
      etcd = new EtcdProcess(binaries, p -> {}, true, 120_000);
      etcdPort = etcd.startEtcd();
      start();
    }

    /** Starts a kube-apiserver process on the running etcd (a process object per start: one stops only once). */
    void start() {
      apiServer = new KubeAPIServerProcess(certs, binaries, p -> {}, config);
      apiServer.startApiServer(etcdPort);
      apiServer.waitUntilReady();
    }

    /** Stops the kube-apiserver process only (etcd and its data stay). */
    void stop() {
      apiServer.stopApiServer();
    }

    int port() {
      return apiServer.getApiServerPort();
    }

    /** A kubeconfig for the API server at {@code port} (the forwarder's). */
    String kubeConfigYaml(int port) {
      return kubeConfig.generateKubeConfigYaml(port);
    }

    @Override
    public void close() {
      apiServer.stopApiServer();
      etcd.stopEtcd();
      etcd.cleanEtcdData();
    }
  }

  /** Forwards one port to the API server's current port; connections to a stopped one are closed. */
  static final class Forwarder {
    private final NetServer server;
    private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();

    Forwarder(Vertx vertx, int port, java.util.function.IntSupplier target) {
      var client = vertx.createNetClient();
      server = vertx.createNetServer().connectHandler(in -> {
        in.pause();
        open.add(in);
        in.closeHandler(v -> open.remove(in));
        client.connect(target.getAsInt(), "127.0.0.1").onSuccess(out -> {
          open.add(out);
          out.closeHandler(v -> open.remove(out));
          in.pipeTo(out);
          out.pipeTo(in);
          in.resume();
        }).onFailure(e -> in.close());
      });
      server.listen(port, "127.0.0.1").await();
    }

    void close() {
      server.close().await();
    }
  }

  @Test
  void aRunDueWhileTheApiServerRestartsRunsOnceAndTheAgentsWatchAndRenewAgain() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<Agent> agents = new ArrayList<>();
    int forwardPort;
    try (ServerSocket s = new ServerSocket(0)) {
      forwardPort = s.getLocalPort();
    }
    OutageScenario scenario = new OutageScenario(vertx);
    List<String> hits = scenario.hits;
    AtomicInteger every = scenario.every;
    Forwarder forwarder = null;
    KubernetesClient client = null;
    try (ApiServer api = new ApiServer()) {
      forwarder = new Forwarder(vertx, forwardPort, api::port);
      String kubeConfigYaml = api.kubeConfigYaml(forwardPort);
      client = new KubernetesClientBuilder().withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(
          kubeConfigYaml)).build();
      TestCluster.installCrd(client);
      Path kubeconfig = TestCluster.useKubeconfig(dir, kubeConfigYaml);
      OutageScenario.startTwoAgents(dir, agents);
      KubernetesClient admin = client;
      await().atMost(90, TimeUnit.SECONDS).until(() -> admin.leases().inNamespace("default")
          .withLabel(LeaseHeartbeat.AGENT_LABEL, "true").list().getItems().size() == 2);
      Instant at = Instant.now().plusSeconds(25).truncatedTo(ChronoUnit.SECONDS);
      Kubectl kubectl = new Kubectl(dir, kubeConfigYaml);
      assertThat(kubectl.apply(scenario.tasks(at, "2m")).exitCode()).isZero();
      // every run of the recurring task, from the agents' run histories: request number -> due time. A due time run
      // twice would appear under two request numbers.
      DelayedTaskResource recurring = client.resources(DelayedTaskResource.class).inNamespace("default")
          .withName("every").get();
      RunHistories histories = new RunHistories(WebClient.create(vertx), agents, "default/every",
          due -> KubeClaims.canonicalDue(new Schedule.Every(Duration.ofSeconds(2)), due, Wire.specWrittenAt(recurring)));
      await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
        histories.read();
        return !histories.ran.isEmpty();
      });
      int first = histories.ran.keySet().stream().mapToInt(Integer::intValue).min().orElseThrow();

      await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
        histories.read();
        return Instant.now().isAfter(at.minusSeconds(4));
      });
      api.stop(); // the kube-apiserver process ends across the due time; etcd keeps running
      Instant stoppedAt = Instant.now();
      await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
        histories.read();
        return Instant.now().isAfter(at.plusSeconds(3));
      });
      assertThat(hits).as("nobody can claim it while the API server is down").doesNotContain("/during");
      api.start(); // the same etcd: every object, resourceVersion and Lease is still there

      await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
        histories.read();
        return hits.contains("/during");
      });
      await().atMost(60, TimeUnit.SECONDS).until(() -> {
        DelayedTaskResource t = admin.resources(DelayedTaskResource.class).inNamespace("default").withName("during")
            .get();
        return t.getStatus() != null && t.getStatus().lastRun != null;
      });
      assertThat(admin.resources(DelayedTaskResource.class).inNamespace("default").withName("during").get()
          .getStatus().lastRun.outcome).isEqualTo("SUCCEEDED");
      // the Leases renew on the restarted API server
      for (String node : List.of("node-x", "node-y")) {
        await().atMost(60, TimeUnit.SECONDS).until(() -> admin.leases().inNamespace("default").withName(node).get()
            .getSpec().getRenewTime().toInstant().isAfter(stoppedAt));
      }
      // the informers watch again: a task created after the restart is seen and run
      assertThat(kubectl.apply("""
          apiVersion: nodepulse.dev/v1alpha1
          kind: DelayedTask
          metadata: {name: after, namespace: default}
          spec:
            delay: 1s
            target: {http: {url: "http://127.0.0.1:%d/after"}}
          """.formatted(scenario.target.actualPort())).exitCode()).isZero();
      await().atMost(90, TimeUnit.SECONDS).until(() -> hits.contains("/after"));
      WebClient web = WebClient.create(vertx);
      for (Agent a : agents) {
        await().atMost(60, TimeUnit.SECONDS).until(() -> {
          JsonObject k = web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await().bodyAsJsonObject()
              .getJsonObject("components").getJsonObject("kubernetes");
          return k.getBoolean("ready") && "up".equals(k.getString("state"));
        });
      }

      int last = every.get() + 3;
      await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() -> {
        histories.read();
        return IntStream.rangeClosed(first, last).allMatch(histories.ran::containsKey);
      });
      client.resources(DelayedTaskResource.class).inNamespace("default").withName("every").delete();
      assertThat(hits.stream().filter("/during"::equals)).as("once").hasSize(1);
      assertThat(hits.stream().filter("/after"::equals)).as("once").hasSize(1);
      assertThat(histories.dueTimes).as("each due time of the recurring task ran once, across the restart "
          + "(request -> due time: %s)", histories.ran).doesNotHaveDuplicates();
    } finally {
      for (Agent a : agents) {
        a.stop().await();
      }
      if (forwarder != null) {
        forwarder.close();
      }
      if (client != null) {
        client.close();
      }
      vertx.close().await();
      System.clearProperty("kubeconfig");
    }
  }
}

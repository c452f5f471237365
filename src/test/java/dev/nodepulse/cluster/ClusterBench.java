package dev.nodepulse.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.bus.ClusterView;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.ScaleBench.Usage;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.ship.KubeTools;
import dev.nodepulse.web.PeerAuthForBench;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the cluster view costs (issue #20): the viewed agent asking N peers once a second and pushing the summary
 * of N + 1 nodes to one page, and what a peer pays for being asked; nothing while nobody views.
 *
 * <p>One real kube-apiserver + etcd (kube-api-test) with the chart's CRD, ServiceAccount, ClusterRole and binding.
 * Two real agent processes started by the launcher ({@code ./nodepulse}, the image's JVM options) in Kubernetes
 * mode as the chart's ServiceAccount: the <b>viewed</b> agent and one <b>real peer</b>; their CPU time
 * (utime + stime of /proc/PID/stat) and RSS are read per phase. The other N − 1 peers live in this JVM: each is an
 * HTTP server of its own on 127.0.0.1 running the agents' own peer code ({@link PeerRoutes} behind its own
 * {@code ScrapeAuth} on {@code /nodepulse/peer}: TokenReview + SubjectAccessReview against the API server, cached
 * 30 s per peer) and answering from a real sampler (one {@link SamplerVerticle} in this JVM sampling this
 * machine's /proc; their reviews go through one shared API client), with an agent Lease of its own (leaseDurationSeconds 3600, not renewed: no renewal traffic)
 * whose annotations name 127.0.0.1 and its port. The real agents use {@code --lease-duration 5m} (a renewal every
 * 100 s). Every request on a peer path of an in-JVM peer is counted.
 *
 * <p>Per N (default 1, 10, 50, 200 peers besides the viewed agent): nobody viewing → one SockJS client subscribed
 * to {@code nodepulse.cluster.summary} on {@code /live/websocket} → nobody again, each phase {@code seconds} long.
 * Usage: bench/cluster/run.sh [seconds] [N ...]
 */
public final class ClusterBench {
  private ClusterBench() {}

  static final Pattern PORT = Pattern.compile("listening on http://[^:]+:(\\d+)/");
  static final String AGENT_LABEL = "nodepulse.dev/agent"; // kube/LeaseHeartbeat
  static final String POD_IP = "nodepulse.dev/pod-ip";
  static final String METRICS_PORT = "nodepulse.dev/metrics-port";
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** An agent process started by the launcher, and its output. */
  record Proc(String node, Process process, StringBuilder out) {
    /** The JVM's pid: the launcher ends by exec'ing java. */
    long pid() {
      return process.pid();
    }

    int httpPort() {
      synchronized (out) {
        Matcher m = PORT.matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
      }
    }
  }

  /** One in-JVM peer: its server and how many peer requests it got. */
  record Peer(String node, HttpServer server, AtomicLong asked) {}

  /** The one SockJS viewer: summaries received, and the Ready count of each. */
  static final class Viewer {
    final AtomicLong frames = new AtomicLong();
    final AtomicInteger minReady = new AtomicInteger(Integer.MAX_VALUE);
    final AtomicInteger maxNodes = new AtomicInteger();
    /** Nodes whose sampledAt differs from the previous summary's, summed over summaries. */
    final AtomicLong fresh = new AtomicLong();
    /** Summaries in which the real peer's sampledAt was new: it was asked and answered. */
    final AtomicLong realPeerFresh = new AtomicLong();
    /** Handled on the WebSocket's event loop only. */
    final Map<String, String> sampled = new HashMap<>();
    WebSocket ws;
    long ping = -1;

    void frame(Buffer buf) {
      String text = buf.toString();
      // raw WebSocket transport of the SockJS bridge: one JSON frame a message
      JsonObject f = new JsonObject(text);
      if (!"rec".equals(f.getString("type")) || !ClusterView.SUMMARY.equals(f.getString("address"))) {
        return;
      }
      JsonObject body = f.getJsonObject("body");
      JsonArray items = body.getJsonArray("items", new JsonArray());
      int ready = 0;
      for (Object o : items) {
        JsonObject node = (JsonObject) o;
        if ("Ready".equals(node.getString("state"))) {
          ready++;
        }
        String at = node.getString("sampledAt");
        String before = sampled.put(node.getString("node"), at);
        if (before != null && at != null && !at.equals(before)) {
          fresh.incrementAndGet();
          if ("peer-real".equals(node.getString("node"))) {
            realPeerFresh.incrementAndGet();
          }
        }
      }
      frames.incrementAndGet();
      minReady.accumulateAndGet(ready, Math::min);
      maxNodes.accumulateAndGet(items.size(), Math::max);
    }

    void reset() {
      frames.set(0);
      sampled.clear();
      minReady.set(Integer.MAX_VALUE);
      maxNodes.set(0);
    }
  }

  /** The figures of one phase. */
  record Phase(int peers, String what, double seconds, double viewedCpu, long viewedRss, double peerCpu,
      long peerRss, double jvmCpu, double apiCpu, long asked, int inJvmPeers, double framesPerSecond, String ready,
      String fresh, String load) {
    String row() {
      return String.format("| %d | %s | %.2f | %d | %.2f | %d | %.2f | %s | %.1f | %d | %s | %s | %s | %s |", peers,
          what,
          viewedCpu, viewedRss >> 20, peerCpu, peerRss >> 20, jvmCpu,
          inJvmPeers == 0 ? "–" : String.format("%.3f", jvmCpu / inJvmPeers), apiCpu, asked,
          framesPerSecond < 0 ? "–" : String.format("%.2f", framesPerSecond), ready, fresh, load);
    }
  }

  static final String HEADER = "| peers | phase | viewed agent CPU % | its RSS MiB | real peer CPU % | its RSS MiB |"
      + " in-JVM peers' JVM CPU % | per in-JVM peer % | kube-apiserver CPU % | requests at in-JVM peers |"
      + " summaries/s at the viewer | nodes Ready (min of frames / nodes) | nodes with new figures per summary;"
      + " summaries with the real peer's new | load 1/5/15 at end |\n"
      + "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |";

  static final String ADDED = "| peers | nodes in the summary | viewed agent: CPU % while viewed | added by the view |"
      + " real peer: added while viewed | in-JVM peers: added per peer while viewed | requests at in-JVM peers while"
      + " nobody views | per in-JVM peer per second while viewed |\n"
      + "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

  /** While viewed minus the mean of the two phases nobody viewed. */
  static String added(Phase before, Phase viewed, Phase after) {
    double idleViewed = (before.viewedCpu() + after.viewedCpu()) / 2;
    double idlePeer = (before.peerCpu() + after.peerCpu()) / 2;
    double idleJvm = (before.jvmCpu() + after.jvmCpu()) / 2;
    int inJvm = viewed.inJvmPeers();
    return String.format("| %d | %s | %.2f | %+.2f | %+.2f | %s | %d | %s |", viewed.peers(),
        viewed.ready().contains("/") ? viewed.ready().substring(viewed.ready().indexOf('/') + 2) : "?",
        viewed.viewedCpu(), viewed.viewedCpu() - idleViewed, viewed.peerCpu() - idlePeer,
        inJvm == 0 ? "–" : String.format("%+.3f", (viewed.jvmCpu() - idleJvm) / inJvm),
        before.asked() + after.asked(),
        inJvm == 0 ? "–" : String.format("%.2f", viewed.asked() / viewed.seconds() / inJvm));
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(1, 10, 50, 200);
    }
    System.out.printf("# bench/cluster/run.sh %d %s (%s, %d cores, load %s)%n", seconds, sizes, Instant.now(),
        Runtime.getRuntime().availableProcessors(), load());
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion("1.34.4").withOfflineMode(true)
        .withApiServerFlag("--advertise-address", "127.0.0.1").withStartupTimeout(120_000).build());
    server.start();
    Path dir = Files.createTempDirectory("clusterbench");
    Vertx vertx = Vertx.vertx();
    List<Proc> procs = new ArrayList<>();
    List<Phase> rows = new ArrayList<>();
    try (KubernetesClient admin = new KubernetesClientBuilder()
        .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
      String agentKubeconfig = chartIdentity(admin, dir, server.getKubeConfigYaml());
      Path kubeconfig = dir.resolve("agent-kubeconfig");
      Files.writeString(kubeconfig, agentKubeconfig);

      Proc viewed = launch(dir, kubeconfig, "viewed");
      Proc realPeer = launch(dir, kubeconfig, "peer-real");
      procs.add(viewed);
      procs.add(realPeer);
      int port = ready(viewed);
      ready(realPeer);
      long viewedPid = viewed.pid();
      long peerPid = realPeer.pid();
      long apiPid = ProcessHandle.current().descendants().filter(h -> h.info().command()
          .map(c -> c.endsWith("/kube-apiserver")).orElse(false)).findFirst().orElseThrow().pid();
      long selfPid = ProcessHandle.current().pid();
      String ns = admin.leases().inAnyNamespace().withLabel(AGENT_LABEL, "true").list().getItems().stream()
          .filter(l -> l.getMetadata().getName().equals("viewed")).findFirst().orElseThrow().getMetadata()
          .getNamespace();
      System.out.printf("agents up: viewed pid %d (http %d), real peer pid %d; Leases in namespace %s%n", viewedPid,
          port, peerPid, ns);

      // the in-JVM peers' shared parts: a real sampler (their answers) and one review client
      vertx.deployVerticle(new SamplerVerticle(Config.forTest(Files.createDirectories(dir.resolve("sampler")))))
          .await(60, TimeUnit.SECONDS);
      KubernetesClient reviews = PeerAuthForBench.client(
          io.fabric8.kubernetes.client.Config.fromKubeconfig(agentKubeconfig));
      List<Peer> peers = new ArrayList<>();
      Viewer viewer = new Viewer();
      var wsc = vertx.createWebSocketClient();

      for (int n : sizes) {
        while (peers.size() < n - 1) {
          peers.add(peer(vertx, admin, reviews, ns, "peer-" + String.format("%03d", peers.size() + 1)));
        }
        // every peer seen Ready by the viewed agent (a REST call: it views for 10 s after it)
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        String seen = "";
        while (System.nanoTime() < until) {
          JsonArray items = new JsonObject(get(port, "/api/v1/cluster/nodes")).getJsonArray("items");
          long ready = items.stream().filter(o -> "Ready".equals(((JsonObject) o).getString("state"))).count();
          seen = ready + " Ready of " + items.size();
          if (items.size() == n + 1 && ready == n + 1) {
            break;
          }
          Thread.sleep(1000);
        }
        System.out.printf("%d peers: the viewed agent lists %s nodes; waiting out the REST view's 10 s%n", n, seen);
        Thread.sleep(15_000); // VIEW_GRACE (10 s) after the last REST call, and a tick

        rows.add(print(measure(n, "nobody views", seconds, viewedPid, peerPid, selfPid, apiPid, peers, null)));

        viewer.reset();
        viewer.ws = wsc.connect(port, "127.0.0.1", "/live/websocket").await(30, TimeUnit.SECONDS);
        viewer.ws.textMessageHandler(t -> viewer.frame(Buffer.buffer(t)));
        viewer.ws.binaryMessageHandler(viewer::frame);
        viewer.ws.writeTextMessage("{\"type\":\"register\",\"address\":\"" + ClusterView.SUMMARY + "\"}");
        WebSocket ws = viewer.ws;
        viewer.ping = vertx.setPeriodic(5000, id -> ws.writeTextMessage("{\"type\":\"ping\"}"));
        long first = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (viewer.frames.get() == 0 && System.nanoTime() < first) {
          Thread.sleep(100);
        }
        Thread.sleep(3000); // the first second's asks (and any review not yet cached) out of the window
        rows.add(print(measure(n, "one page views", seconds, viewedPid, peerPid, selfPid, apiPid, peers, viewer)));
        vertx.cancelTimer(viewer.ping);
        viewer.ws.close().await(10, TimeUnit.SECONDS);
        Thread.sleep(3000); // the close reaches the bridge; the next tick finds nobody viewing and stops
        rows.add(print(measure(n, "nobody again", seconds, viewedPid, peerPid, selfPid, apiPid, peers, null)));
      }
      System.out.printf("%n# bench/cluster/run.sh %d %s (%s, %d cores)%n", seconds, sizes, Instant.now(),
          Runtime.getRuntime().availableProcessors());
      System.out.println(HEADER);
      rows.forEach(r -> System.out.println(r.row()));
      System.out.println();
      System.out.println(ADDED);
      for (int i = 0; i + 2 < rows.size(); i += 3) {
        System.out.println(added(rows.get(i), rows.get(i + 1), rows.get(i + 2)));
      }
      for (Peer p : peers) {
        p.server().close().await(10, TimeUnit.SECONDS);
      }
      reviews.close();
    } finally {
      for (Proc p : procs) {
        p.process().destroy();
      }
      for (Proc p : procs) {
        p.process().waitFor(30, TimeUnit.SECONDS);
      }
      vertx.close().await(30, TimeUnit.SECONDS);
      server.stop();
    }
  }

  static Phase print(Phase p) {
    System.out.println(p.row());
    return p;
  }

  static Phase measure(int n, String what, int seconds, long viewedPid, long peerPid, long selfPid, long apiPid,
      List<Peer> peers, Viewer viewer) throws Exception {
    long asked0 = peers.stream().mapToLong(p -> p.asked().get()).sum();
    long frames0 = viewer == null ? 0 : viewer.frames.get();
    long fresh0 = viewer == null ? 0 : viewer.fresh.get();
    long real0 = viewer == null ? 0 : viewer.realPeerFresh.get();
    if (viewer != null) {
      viewer.minReady.set(Integer.MAX_VALUE);
      viewer.maxNodes.set(0);
    }
    Usage v0 = Usage.of(viewedPid);
    Usage p0 = Usage.of(peerPid);
    Usage j0 = Usage.of(selfPid);
    Usage a0 = Usage.of(apiPid);
    long t0 = System.nanoTime();
    Thread.sleep(seconds * 1000L); // a benchmark's measuring window, not a test
    double s = (System.nanoTime() - t0) / 1e9;
    Usage v1 = Usage.of(viewedPid);
    Usage p1 = Usage.of(peerPid);
    Usage j1 = Usage.of(selfPid);
    Usage a1 = Usage.of(apiPid);
    long asked = peers.stream().mapToLong(p -> p.asked().get()).sum() - asked0;
    double fps = viewer == null ? -1 : (viewer.frames.get() - frames0) / s;
    String ready = viewer == null ? "–" : viewer.minReady.get() == Integer.MAX_VALUE ? "no frame"
        : viewer.minReady.get() + " / " + viewer.maxNodes.get();
    long frames = viewer == null ? 0 : viewer.frames.get() - frames0;
    String fresh = viewer == null || frames == 0 ? "–" : String.format("%.1f; %d of %d", (double) (viewer.fresh.get()
        - fresh0) / frames, viewer.realPeerFresh.get() - real0, frames);
    return new Phase(n, what, s, pct(v0, v1, s), v1.rssBytes(), pct(p0, p1, s), p1.rssBytes(), pct(j0, j1, s),
        pct(a0, a1, s), asked, peers.size(), fps, ready, fresh, load());
  }

  static double pct(Usage a, Usage b, double s) {
    return (b.cpuSeconds() - a.cpuSeconds()) * 100 / s;
  }

  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (Exception e) {
      return "?";
    }
  }

  /**
   * The chart's ServiceAccount, ClusterRole and binding (helm template), the chart's CRD, and a kubeconfig that
   * authenticates as that ServiceAccount (a TokenRequest), as ClusterViewIT does.
   */
  static String chartIdentity(KubernetesClient admin, Path dir, String adminKubeconfig) throws Exception {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("nodepulse").endMetadata().build())
        .create();
    String rendered = KubeTools.helm(dir.resolve("helm"), "template", "nodepulse", KubeTools.CHART.toString(),
        "--namespace", "nodepulse", "--show-only", "templates/serviceaccount.yaml",
        "--show-only", "templates/clusterrole.yaml", "--show-only", "templates/clusterrolebinding.yaml").ok();
    List<HasMetadata> objects = admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
    objects.forEach(o -> admin.resource(o).create());
    CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions()
        .load(KubeTools.CHART.resolve("crds/delayedtasks.nodepulse.dev.yaml").toFile()).item();
    admin.resource(crd).create();
    admin.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
        .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
            && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);
    String token = admin.serviceAccounts().inNamespace("nodepulse").withName("nodepulse")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(7200L).endSpec().build())
        .getStatus().getToken();
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode kc = (ObjectNode) yaml.readTree(adminKubeconfig);
    ((ObjectNode) kc.path("users").get(0)).putObject("user").put("token", token);
    return yaml.writeValueAsString(kc);
  }

  static Proc launch(Path dir, Path kubeconfig, String node) throws Exception {
    Path data = Files.createDirectories(dir.resolve(node));
    ProcessBuilder pb = new ProcessBuilder("./nodepulse", "--mode", "kubernetes", "--node-name", node,
        "--http-port", "0", "--data-dir", data.toString(), "--metrics-port", "0", "--metrics-host", "127.0.0.1",
        "--lease-duration", "5m", "--log-level", "info").redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().remove("POD_IP"); // 127.0.0.1
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (var r = p.inputReader()) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          if (line.contains(" WARN ") || line.contains(" ERROR ")) {
            System.out.println(node + ": " + line);
          }
        }
      } catch (Exception ignored) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new Proc(node, p, out);
  }

  /** Waits for the agent's Kubernetes readiness; its HTTP port. */
  static int ready(Proc p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (System.nanoTime() < deadline) {
      int port = p.httpPort();
      if (port > 0) {
        try {
          JsonObject r = new JsonObject(get(port, "/readyz"));
          if (r.getJsonObject("components").getJsonObject("kubernetes").getBoolean("ready")) {
            return port;
          }
        } catch (Exception e) {
          // not yet
        }
      }
      if (!p.process().isAlive()) {
        break;
      }
      Thread.sleep(500);
    }
    synchronized (p.out()) {
      throw new IllegalStateException(p.node() + " not ready:\n" + p.out());
    }
  }

  static String get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** An in-JVM peer: the agents' peer routes behind their real check, on a port of its own, and its Lease. */
  static Peer peer(Vertx vertx, KubernetesClient admin, KubernetesClient reviews, String ns, String node)
      throws Exception {
    AtomicLong asked = new AtomicLong();
    Router router = Router.router(vertx);
    router.route("/peer/*").handler(ctx -> {
      asked.incrementAndGet();
      ctx.next();
    });
    PeerRoutes.mount(router, PeerAuthForBench.peer(vertx, reviews, PeerRoutes.PEER_URL), Router.router(vertx));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .await(30, TimeUnit.SECONDS);
    ZonedDateTime now = ZonedDateTime.ofInstant(Instant.now().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put("nodepulse.dev/node-labels", new JsonObject().put("kubernetes.io/hostname", node).encode());
    annotations.put(POD_IP, "127.0.0.1");
    annotations.put(METRICS_PORT, Integer.toString(server.actualPort()));
    Lease lease = new LeaseBuilder().withNewMetadata().withName(node).withNamespace(ns)
        .addToLabels(AGENT_LABEL, "true").addToLabels("app.kubernetes.io/name", "nodepulse")
        .addToAnnotations(annotations).endMetadata()
        .withNewSpec().withHolderIdentity(node).withLeaseDurationSeconds(3600).withAcquireTime(now)
        .withRenewTime(now).withLeaseTransitions(0).endSpec().build();
    admin.leases().inNamespace(ns).resource(lease).create();
    return new Peer(node, server, asked);
  }
}

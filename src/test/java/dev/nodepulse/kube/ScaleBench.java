package dev.nodepulse.kube;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the agents' heartbeats cost the API server as the number of agents grows (the design of
 * docs/kubernetes.md "Agents and their Leases": each agent renews a Lease of its own every third of
 * {@code --lease-duration}, a GET and an update, and watches every agent's Lease).
 *
 * <p>One real kube-apiserver and etcd (kube-api-test). Every client goes through a forwarder on loopback that
 * counts the bytes each way (TLS included), so real and simulated agents are counted alike. First three whole
 * agents (in this JVM, the default 15 s lease) for the window; then N simulated agents on their exact API
 * pattern: each creates its Lease (same labels, annotation and spec), renews it every 5 s with a GET and a PUT
 * (the update conditional on the resourceVersion read), lists the agents' Leases once and keeps one watch on
 * them (a streaming GET; the agents' client may frame its watch otherwise, which the check at N = 3 shows). The
 * simulation is checked against the real agents at N = 3 in the same run (requests by verb from the API server's own {@code apiserver_request_total}, and the bytes the
 * clients received). Per N: Lease writes a second, watch events delivered a second (counted by the simulated
 * watchers), bytes received by all clients a second, kube-apiserver and etcd CPU seconds a minute and memory.
 * Usage: bench/kube/scale.sh [seconds] [N ...] (default 60 s; 10 100 300).
 */
public final class ScaleBench {
  private ScaleBench() {}

  static final String NS = "default";
  static final int LEASE_SECONDS = 15;
  static final long RENEW_MS = LEASE_SECONDS * 1000 / 3;
  static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
      .withZone(ZoneOffset.UTC);

  /** A TCP forwarder to the API server that counts the bytes it carries each way. */
  static final class CountingForwarder {
    final AtomicLong down = new AtomicLong();
    final AtomicLong up = new AtomicLong();
    final NetServer server;

    CountingForwarder(Vertx vertx, int target) {
      var client = vertx.createNetClient();
      server = vertx.createNetServer().connectHandler(in -> {
        in.pause();
        client.connect(target, "127.0.0.1").onSuccess(out -> {
          in.handler(b -> {
            up.addAndGet(b.length());
            out.write(b);
          });
          out.handler(b -> {
            down.addAndGet(b.length());
            in.write(b);
          });
          in.closeHandler(v -> out.close());
          out.closeHandler(v -> in.close());
          in.resume();
        }).onFailure(e -> in.close());
      }).listen(0, "127.0.0.1").await();
    }

    int port() {
      return server.actualPort();
    }
  }

  /** CPU seconds (user + system) and resident memory of a process, from /proc. */
  public record Usage(double cpuSeconds, long rssBytes) {
    public static Usage of(long pid) throws Exception {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      double ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      long rss = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
      return new Usage(ticks / 100.0, rss);
    }
  }

  static long pidOf(String command) {
    Optional<ProcessHandle> p = ProcessHandle.current().descendants()
        .filter(h -> h.info().command().map(c -> c.endsWith("/" + command)).orElse(false)).findFirst();
    return p.orElseThrow(() -> new IllegalStateException("no " + command + " process")).pid();
  }

  /** One simulated agent: its Lease renewed every RENEW_MS, and one watch on the agents' Leases. */
  static final class SimulatedAgent {
    final String name;
    final HttpClient http;
    final String base;
    final AtomicLong events;
    final AtomicLong writes;
    volatile Flow.Subscription watch;

    SimulatedAgent(String name, HttpClient http, String base, AtomicLong events, AtomicLong writes) {
      this.name = name;
      this.http = http;
      this.base = base;
      this.events = events;
      this.writes = writes;
    }

    String leaseUrl() {
      return base + "/apis/coordination.k8s.io/v1/namespaces/" + NS + "/leases";
    }

    void create() throws Exception {
      String now = MICRO.format(Instant.now().truncatedTo(ChronoUnit.MICROS));
      JsonObject lease = new JsonObject().put("apiVersion", "coordination.k8s.io/v1").put("kind", "Lease")
          .put("metadata", new JsonObject().put("name", name).put("namespace", NS)
              .put("labels", new JsonObject().put(LeaseHeartbeat.AGENT_LABEL, "true")
                  .put("app.kubernetes.io/name", "nodepulse"))
              .put("annotations", new JsonObject().put(LeaseHeartbeat.NODE_LABELS,
                  new JsonObject().put("kubernetes.io/hostname", name).encode())))
          .put("spec", new JsonObject().put("holderIdentity", name).put("leaseDurationSeconds", LEASE_SECONDS)
              .put("acquireTime", now).put("renewTime", now).put("leaseTransitions", 0));
      send(HttpRequest.newBuilder(URI.create(leaseUrl())).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(lease.encode())).build(), 201);
      writes.incrementAndGet();
    }

    /** As the agent's renewal: GET its Lease, set the renew time, PUT it back (conditional on its resourceVersion). */
    void renew() {
      try {
        HttpResponse<String> got = send(HttpRequest.newBuilder(URI.create(leaseUrl() + "/" + name)).GET().build(), 200);
        JsonObject lease = new JsonObject(got.body());
        lease.getJsonObject("spec").put("renewTime", MICRO.format(Instant.now().truncatedTo(ChronoUnit.MICROS)));
        send(HttpRequest.newBuilder(URI.create(leaseUrl() + "/" + name)).header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(lease.encode())).build(), 200);
        writes.incrementAndGet();
      } catch (Exception e) {
        System.err.println(name + ": renewal failed: " + e);
      }
    }

    /** Lists the agents' Leases, then watches from that resourceVersion (as an informer starts). */
    void startWatch() throws Exception {
      String selector = "labelSelector=" + LeaseHeartbeat.AGENT_LABEL.replace("/", "%2F") + "%3Dtrue";
      HttpResponse<String> list = send(HttpRequest.newBuilder(URI.create(leaseUrl() + "?" + selector)).GET().build(),
          200);
      String rv = new JsonObject(list.body()).getJsonObject("metadata").getString("resourceVersion");
      URI uri = URI.create(leaseUrl() + "?" + selector + "&allowWatchBookmarks=true&watch=true&resourceVersion=" + rv);
      http.sendAsync(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.fromLineSubscriber(
          new Flow.Subscriber<String>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
              watch = subscription;
              subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String line) {
              events.incrementAndGet(); // one JSON event a line
            }

            @Override
            public void onError(Throwable err) {}

            @Override
            public void onComplete() {}
          }));
    }

    HttpResponse<String> send(HttpRequest request, int expected) throws Exception {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expected) {
        throw new IllegalStateException(request.method() + " " + request.uri() + ": " + r.statusCode() + " "
            + r.body());
      }
      return r;
    }
  }

  /** The figures of one window. */
  record Figures(String what, int agents, double leaseGetsPerSecond, double leaseWritesPerSecond,
      double eventsPerSecond, double bytesDownPerSecond, double apiCpuPerMinute, long apiRss, double etcdCpuPerMinute,
      long etcdRss) {
    String row() {
      return String.format("| %s | %d | %.1f | %.1f | %s | %,.0f | %.1f | %d | %.1f | %d |", what, agents,
          leaseGetsPerSecond, leaseWritesPerSecond, eventsPerSecond < 0 ? "–" : String.format("%,.0f", eventsPerSecond),
          bytesDownPerSecond, apiCpuPerMinute, apiRss >> 20, etcdCpuPerMinute, etcdRss >> 20);
    }
  }

  static final Pattern REQUESTS = Pattern.compile(
      "^apiserver_request_total\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);

  /** Lease requests so far by verb (GET, PUT), from the API server's own counter. */
  static double[] leaseRequests(KubernetesClient admin) {
    String text = admin.raw("/metrics");
    double get = 0;
    double update = 0;
    Matcher m = REQUESTS.matcher(text);
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("resource=\"leases\"") && labels.contains("scope=\"resource\"")) {
        double v = Double.parseDouble(m.group(2));
        if (labels.contains("verb=\"GET\"")) {
          get += v;
        } else if (labels.contains("verb=\"PUT\"")) {
          update += v;
        }
      }
    }
    return new double[] {get, update};
  }

  static Figures measure(String what, int agents, int seconds, KubernetesClient admin, CountingForwarder fwd,
      long apiPid, long etcdPid, AtomicLong events) throws Exception {
    double[] r0 = leaseRequests(admin);
    long down0 = fwd.down.get();
    long events0 = events == null ? 0 : events.get();
    Usage api0 = Usage.of(apiPid);
    Usage etcd0 = Usage.of(etcdPid);
    long t0 = System.nanoTime();
    Thread.sleep(seconds * 1000L); // a benchmark's measuring window, not a test
    double s = (System.nanoTime() - t0) / 1e9;
    Usage api1 = Usage.of(apiPid);
    Usage etcd1 = Usage.of(etcdPid);
    double[] r1 = leaseRequests(admin);
    return new Figures(what, agents, (r1[0] - r0[0]) / s, (r1[1] - r0[1]) / s,
        events == null ? -1 : (events.get() - events0) / s, (fwd.down.get() - down0) / s,
        (api1.cpuSeconds() - api0.cpuSeconds()) * 60 / s, api1.rssBytes(), (etcd1.cpuSeconds() - etcd0.cpuSeconds()) * 60 / s,
        etcd1.rssBytes());
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(10, 100, 300);
    }
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(Kubectl.K8S_VERSION).withOfflineMode(true)
        .withApiServerFlag("--advertise-address", "127.0.0.1").withStartupTimeout(120_000).build());
    server.start();
    Vertx vertx = Vertx.vertx();
    Path dir = Files.createTempDirectory("scalebench");
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(4);
    List<Figures> rows = new ArrayList<>();
    try (KubernetesClient admin = new KubernetesClientBuilder()
        .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
      TestCluster.installCrd(admin);
      long apiPid = pidOf("kube-apiserver");
      long etcdPid = pidOf("etcd");
      String direct = server.getKubeConfigYaml();
      Matcher port = Pattern.compile("server: https://127\\.0\\.0\\.1:(\\d+)").matcher(direct);
      if (!port.find()) {
        throw new IllegalStateException("no server URL in the kubeconfig");
      }
      CountingForwarder fwd = new CountingForwarder(vertx, Integer.parseInt(port.group(1)));
      String forwarded = direct.replace("127.0.0.1:" + port.group(1), "127.0.0.1:" + fwd.port());
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(kubeconfig, forwarded);
      System.setProperty("kubeconfig", kubeconfig.toString());

      // the real agents, three
      List<Agent> agents = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        agents.add(Agent.start(Config.forTest(Files.createDirectories(dir.resolve("node-" + i)), "--mode",
            "kubernetes", "--node-name", "node-" + i, "--log-level", "warn")).await(120, TimeUnit.SECONDS));
      }
      Thread.sleep(RENEW_MS * 2); // settled: every Lease made and renewed once
      rows.add(measure("real agents", 3, seconds, admin, fwd, apiPid, etcdPid, null));
      for (Agent a : agents) {
        a.stop().await();
      }
      admin.leases().inNamespace(NS).withLabel(LeaseHeartbeat.AGENT_LABEL, "true").delete();

      var clientConfig = io.fabric8.kubernetes.client.Config.fromKubeconfig(forwarded);
      HttpClient http = HttpClient.newBuilder().sslContext(SSLUtils.sslContext(clientConfig))
          .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
      String base = clientConfig.getMasterUrl().replaceAll("/$", "");
      List<Integer> all = new ArrayList<>(List.of(3));
      all.addAll(sizes);
      for (int n : all) {
        AtomicLong events = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        List<SimulatedAgent> sims = new ArrayList<>();
        List<java.util.concurrent.ScheduledFuture<?>> renewals = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          SimulatedAgent a = new SimulatedAgent("sim-" + i, http, base, events, writes);
          a.create();
          sims.add(a);
        }
        for (SimulatedAgent a : sims) {
          a.startWatch();
          long offset = ThreadLocalRandom.current().nextLong(RENEW_MS);
          renewals.add(timers.scheduleAtFixedRate(a::renew, offset, RENEW_MS, TimeUnit.MILLISECONDS));
        }
        Thread.sleep(RENEW_MS * 2);
        Figures f = measure("simulated", n, seconds, admin, fwd, apiPid, etcdPid, events);
        rows.add(f);
        System.out.println(f.row());
        renewals.forEach(r -> r.cancel(false));
        for (SimulatedAgent a : sims) {
          if (a.watch != null) {
            a.watch.cancel();
          }
        }
        admin.leases().inNamespace(NS).withLabel(LeaseHeartbeat.AGENT_LABEL, "true").delete();
        Thread.sleep(2000);
      }
      System.out.printf("%n# bench/kube/scale.sh %d %s (%s)%n", seconds, sizes, Instant.now());
      System.out.println("| agents | N | Lease GETs/s | Lease writes/s | watch events delivered/s | bytes to clients/s |"
          + " kube-apiserver CPU-s a minute | its RSS MiB | etcd CPU-s a minute | its RSS MiB |");
      System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
      rows.forEach(r -> System.out.println(r.row()));
      fit(rows);
    } finally {
      timers.shutdownNow();
      vertx.close().await();
      server.stop();
    }
  }

  /** The log-log slope of events and bytes against N (simulated rows) and what it predicts for 1,000 and 5,000. */
  static void fit(List<Figures> rows) {
    List<Figures> sim = rows.stream().filter(r -> r.what().equals("simulated") && r.agents() >= 10).toList();
    if (sim.size() < 2) {
      return;
    }
    for (String what : List.of("watch events/s", "bytes/s")) {
      double sx = 0;
      double sy = 0;
      double sxx = 0;
      double sxy = 0;
      for (Figures f : sim) {
        double x = Math.log(f.agents());
        double y = Math.log(what.startsWith("watch") ? f.eventsPerSecond() : f.bytesDownPerSecond());
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
      }
      int k = sim.size();
      double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
      double intercept = (sy - slope * sx) / k;
      System.out.printf("%s = %.3g · N^%.2f; at 1,000 agents %,.0f, at 5,000 %,.0f%n", what, Math.exp(intercept),
          slope, Math.exp(intercept) * Math.pow(1000, slope), Math.exp(intercept) * Math.pow(5000, slope));
    }
  }
}

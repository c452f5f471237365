package dev.nodepulse.kube;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the agents' coordination costs the API server as the number of agents grows: the heartbeat design ("old":
 * each agent renews a Lease of its own every third of {@code --lease-duration}, a GET and a conditional PUT, and
 * watches every agent's Lease) beside the membership + claim cascade design ("new": an agent writes its Lease once
 * at start and once more when its metrics port is known, and renews it only while it holds an unfinished
 * {@code nodes: one} run), each at rest and with one {@code nodes: one} run a second.
 *
 * <p>One real kube-apiserver and etcd (kube-api-test). Every agent's client goes through a forwarder on loopback
 * that counts the bytes each way (TLS included), so real and simulated agents are counted alike. First three whole
 * agents (this branch's code, in this JVM, the default 15 s lease) for a window at rest and one with a DelayedTask
 * {@code every: 1s, nodes: one}; their Lease, the task's status and a run's Event are kept as the simulation's
 * templates. Then, per N (3 first, to compare with the real agents, then the N given) and per design, N simulated
 * agents ({@link SimulatedAgent}): each lists and watches what an agent's four informers do (the agents' Leases,
 * the claim Leases, all DelayedTasks, the task ConfigMaps) and renews its Lease as the design says; a window at rest,
 * then one where a run falls every second to the next agent in turn, which writes exactly what a claimer writes (the
 * claim: a PUT on status conditional on the resourceVersion it holds; the result: a PUT on status; one Event). Per
 * window: requests by verb and resource (the API server's own {@code apiserver_request_total}: it counts a watch
 * when it ends, so the windows' requests are the writes and reads), watch events delivered (counted by the
 * simulated watchers, one JSON line each: the API server's {@code apiserver_watch_events_total} misses fabric8's
 * WebSocket watches), bytes received by the agents' clients, kube-apiserver and etcd CPU seconds a minute and
 * memory (from /proc). A design is not taken further when the machine did not keep up at an N (renewals, runs or
 * deliveries behind by more than 20 %), or when its events a second, extrapolated from its last two sizes, would
 * pass {@code -Dscale.maxEvents} (default 60,000). Ends with the real agents beside both simulated patterns, old
 * beside new, and a log-log fit of events a second against N per design and load.
 * Usage: bench/kube/scale.sh [seconds] [N ...] (default 25 s; 10 100 300).
 */
public final class ScaleBench {
  private ScaleBench() {}

  static final String NS = "default";
  static final String TASK = "bench";
  /** The real agent whose Lease is the simulated agents' template; its name in it is replaced by theirs. */
  static final String TEMPLATE_NODE = "node-1";
  static final int LEASE_SECONDS = 15;
  static final long RENEW_MS = LEASE_SECONDS * 1000 / 3;
  static final List<String> WRITES = List.of("POST", "PUT", "PATCH", "DELETE", "APPLY");

  enum Design {
    OLD("old: heartbeat"), NEW("new: membership + claim cascade");

    final String title;

    Design(String title) {
      this.title = title;
    }
  }

  enum Load {
    REST("at rest"), RUNS("1 run/s");

    final String title;

    Load(String title) {
      this.title = title;
    }
  }

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

  static final Pattern REQUESTS = Pattern.compile("^apiserver_request_total\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
  static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /** Requests so far by "VERB resource[/subresource]", from the API server's own counter (resources only). */
  static Map<String, Double> requests(KubernetesClient admin) {
    Map<String, Double> out = new TreeMap<>();
    Matcher m = REQUESTS.matcher(admin.raw("/metrics"));
    while (m.find()) {
      Map<String, String> labels = new LinkedHashMap<>();
      Matcher l = LABEL.matcher(m.group(1));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      String resource = labels.getOrDefault("resource", "");
      if (resource.isEmpty()) {
        continue;
      }
      String sub = labels.getOrDefault("subresource", "");
      out.merge(labels.get("verb") + " " + resource + (sub.isEmpty() ? "" : "/" + sub), Double.parseDouble(m.group(2)),
          Double::sum);
    }
    return out;
  }

  /** What the API server and its clients did in one window. */
  record Window(double seconds, Map<String, Double> perSecond, double eventsPerSecond, double bytesPerSecond,
      double runsPerSecond, double apiCpuPerMinute, long apiRss, double etcdCpuPerMinute, long etcdRss) {
    double sum(java.util.function.Predicate<String> key) {
      return perSecond.entrySet().stream().filter(e -> key.test(e.getKey())).mapToDouble(Map.Entry::getValue).sum();
    }

    double leaseWrites() {
      return sum(k -> WRITES.contains(k.split(" ")[0]) && k.split(" ")[1].startsWith("leases"));
    }

    double gets() {
      return sum(k -> k.startsWith("GET "));
    }

    double writes() {
      return sum(k -> WRITES.contains(k.split(" ")[0]));
    }
  }

  /** One measured point: {@code design} null for the real agents. */
  record Row(Design design, Load load, int n, Window w, String note) {
    String row() {
      return String.format("| %s | %s | %d | %.2f | %.2f | %.2f | %s | %,.0f | %.1f | %d | %.1f | %d | %s |",
          design == null ? "real agents" : design.title, load.title, n, w.leaseWrites(), w.gets(), w.writes(),
          w.eventsPerSecond() < 0 ? "–" : String.format("%,.0f", w.eventsPerSecond()), w.bytesPerSecond(),
          w.apiCpuPerMinute(), w.apiRss() >> 20, w.etcdCpuPerMinute(), w.etcdRss() >> 20, note == null ? "" : note);
    }
  }

  /** The API server, its etcd and the counting forwarder: what a window reads. */
  static final class Probe {
    final KubernetesClient admin;
    final CountingForwarder fwd;
    final long apiPid;
    final long etcdPid;
    /** The API server's own requests a second (its identity Lease, its endpoints), subtracted from every window. */
    Map<String, Double> baseline = Map.of();

    Probe(KubernetesClient admin, CountingForwarder fwd, long apiPid, long etcdPid) {
      this.admin = admin;
      this.fwd = fwd;
      this.apiPid = apiPid;
      this.etcdPid = etcdPid;
    }

    KubernetesClient admin() {
      return admin;
    }

    Window measure(int seconds, AtomicLong events, AtomicLong runs) throws Exception {
      Map<String, Double> r0 = requests(admin);
      long down0 = fwd.down.get();
      long events0 = events == null ? 0 : events.get();
      long runs0 = runs.get();
      Usage api0 = Usage.of(apiPid);
      Usage etcd0 = Usage.of(etcdPid);
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L); // a benchmark's measuring window, not a test
      double s = (System.nanoTime() - t0) / 1e9;
      Usage api1 = Usage.of(apiPid);
      Usage etcd1 = Usage.of(etcdPid);
      Map<String, Double> r1 = requests(admin);
      long runs1 = runs.get();
      Map<String, Double> rates = new TreeMap<>();
      r1.forEach((k, v) -> {
        double rate = (v - r0.getOrDefault(k, 0.0)) / s - baseline.getOrDefault(k, 0.0);
        if (Math.abs(rate) >= 0.005) {
          rates.put(k, rate);
        }
      });
      return new Window(s, rates, events == null ? -1 : (events.get() - events0) / s, (fwd.down.get() - down0) / s,
          (runs1 - runs0) / s, (api1.cpuSeconds() - api0.cpuSeconds()) * 60 / s, api1.rssBytes(),
          (etcd1.cpuSeconds() - etcd0.cpuSeconds()) * 60 / s, etcd1.rssBytes());
    }
  }

  /** What the real agents left, copied by the simulated ones: a Lease, the task's status, a run's Event. */
  record Templates(JsonObject lease, JsonObject status, JsonObject event) {}

  /**
   * One {@code nodes: one} run a second, each falling to the next simulated agent in turn, which writes what a
   * claimer writes: the claim (a PUT on status conditional on the resourceVersion it holds), the result (a PUT on
   * status), one Event. The run itself takes no time: shorter than a renewal period, it renews no Lease.
   */
  static final class Runs implements Runnable {
    private final List<SimulatedAgent> sims;
    private final JsonObject event;
    final AtomicLong done;
    private JsonObject task;
    private int next;

    Runs(List<SimulatedAgent> sims, JsonObject task, JsonObject event, AtomicLong done) {
      this.sims = sims;
      this.task = task;
      this.event = event;
      this.done = done;
    }

    @Override
    public void run() {
      SimulatedAgent a = sims.get(next++ % sims.size());
      String due = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      try {
        JsonObject claim = task.copy();
        claim.getJsonObject("status").put("claimedBy", a.name).put("claimedFor", due);
        task = a.putStatus(claim);
        JsonObject result = task.copy();
        JsonObject st = result.getJsonObject("status");
        String now = Instant.now().toString();
        JsonObject last = st.getJsonObject("lastRun", new JsonObject()).copy().put("dueAt", due).put("startedAt", now)
            .put("finishedAt", now).put("node", a.name);
        st.put("lastRun", last).put("runs", st.getLong("runs", 0L) + 1).put("attempts", st.getLong("attempts", 0L) + 1);
        task = a.putStatus(result);
        JsonObject ev = event.copy();
        ev.put("metadata", new JsonObject().put("name", TASK + "." + UUID.randomUUID().toString().substring(0, 8))
            .put("namespace", NS));
        ev.getJsonObject("involvedObject").put("uid", task.getJsonObject("metadata").getString("uid"))
            .put("resourceVersion", task.getJsonObject("metadata").getString("resourceVersion"));
        ev.put("firstTimestamp", now).put("lastTimestamp", now).put("reportingInstance", a.name)
            .put("message", ev.getString("message", "").replace(TEMPLATE_NODE, a.name));
        if (ev.getJsonObject("source") != null) {
          ev.getJsonObject("source").put("host", a.name);
        }
        a.createEvent(ev);
        done.incrementAndGet();
      } catch (Exception e) {
        System.err.println(a.name + ": run failed: " + e);
      }
    }
  }

  static String taskJson(int targetPort) {
    return """
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "%s", "namespace": "%s"},
         "spec": {"every": "1s", "nodes": "one", "target": {"http": {"url": "http://127.0.0.1:%d/"}}}}
        """.formatted(TASK, NS, targetPort);
  }

  static String taskPath() {
    return "/apis/nodepulse.dev/v1alpha1/namespaces/" + NS + "/delayedtasks/" + TASK;
  }

  /** Deletes what a point left: the agents' Leases, the Events, and waits till the Leases are gone. */
  static void clean(KubernetesClient admin) throws Exception {
    admin.leases().inNamespace(NS).withLabel(LeaseHeartbeat.AGENT_LABEL, "true").delete();
    admin.v1().events().inNamespace(NS).delete();
    for (int i = 0; i < 120 && !admin.leases().inNamespace(NS).withLabel(LeaseHeartbeat.AGENT_LABEL, "true").list()
        .getItems().isEmpty(); i++) {
      Thread.sleep(500); // a benchmark waiting for the cluster to settle, not a test
    }
  }

  /** The three whole agents: a window at rest, then one with a nodes: one task every second; keeps the templates. */
  static Templates realAgents(Probe probe, Path dir, Vertx vertx, int seconds, List<Row> rows) throws Exception {
    AtomicLong hits = new AtomicLong();
    HttpServer target = vertx.createHttpServer().requestHandler(r -> {
      hits.incrementAndGet();
      r.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    KubernetesClient admin = probe.admin();
    List<Agent> agents = new ArrayList<>();
    try {
      for (int i = 1; i <= 3; i++) {
        agents.add(Agent.start(Config.forTest(Files.createDirectories(dir.resolve("node-" + i)), "--mode",
            "kubernetes", "--node-name", "node-" + i, "--log-level", "warn")).await(120, TimeUnit.SECONDS));
      }
      Thread.sleep(RENEW_MS * 2); // settled: every Lease made and its port written
      rows.add(new Row(null, Load.REST, 3, probe.measure(seconds, null, hits), null));
      System.out.println(rows.getLast().row());
      admin.resource(admin.getKubernetesSerialization().unmarshal(taskJson(target.actualPort()),
          DelayedTaskResource.class)).create();
      Thread.sleep(5000); // the first runs done
      rows.add(new Row(null, Load.RUNS, 3, probe.measure(seconds, null, hits), null));
      System.out.println(rows.getLast().row());
      JsonObject lease = new JsonObject(admin.raw("/apis/coordination.k8s.io/v1/namespaces/" + NS + "/leases/"
          + TEMPLATE_NODE));
      JsonObject task = new JsonObject(admin.raw(taskPath()));
      JsonObject event = null;
      for (Object o : new JsonObject(admin.raw("/api/v1/namespaces/" + NS + "/events")).getJsonArray("items")) {
        JsonObject e = (JsonObject) o;
        if (TASK.equals(e.getJsonObject("involvedObject").getString("name")) && "Normal".equals(e.getString("type"))) {
          event = e;
        }
      }
      if (task.getJsonObject("status") == null || task.getJsonObject("status").getJsonObject("lastRun") == null
          || event == null) {
        throw new IllegalStateException("the real agents ran no run of the task (status " + task.getValue("status")
            + ", an Event: " + (event != null) + "): no templates for the simulation");
      }
      return new Templates(lease, task.getJsonObject("status"), event);
    } finally {
      admin.resources(DelayedTaskResource.class).inNamespace(NS).withName(TASK).delete();
      for (Agent a : agents) {
        a.stop().await();
      }
      target.close().await();
      clean(admin);
    }
  }

  /** N simulated agents of one design: a window at rest, then one with a run a second. */
  static List<Row> simulate(Design design, int n, int seconds, Probe probe, String forwarded, Templates t,
      ScheduledExecutorService timers) throws Exception {
    var clientConfig = io.fabric8.kubernetes.client.Config.fromKubeconfig(forwarded);
    var ssl = SSLUtils.sslContext(clientConfig);
    String base = clientConfig.getMasterUrl().replaceAll("/$", "");
    List<HttpClient> clients = new ArrayList<>();
    for (int i = 0; i < Math.min(10, (n + 99) / 100); i++) {
      clients.add(HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).build());
    }
    AtomicLong events = new AtomicLong();
    AtomicLong runs = new AtomicLong();
    List<SimulatedAgent> sims = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      sims.add(new SimulatedAgent("sim-" + i, clients.get(i % clients.size()), base, events));
    }
    List<ScheduledFuture<?>> timersOfPoint = new ArrayList<>();
    ExecutorService setup = Executors.newFixedThreadPool(8);
    List<Row> out = new ArrayList<>();
    try {
      List<Callable<Void>> starts = new ArrayList<>();
      for (SimulatedAgent a : sims) {
        starts.add(() -> {
          a.createLease(t.lease());
          if (design == Design.NEW) {
            a.renew(); // its second and last write: the metrics port known
          }
          return null;
        });
      }
      for (Future<Void> f : setup.invokeAll(starts)) {
        f.get();
      }
      List<Callable<Void>> watches = new ArrayList<>();
      for (SimulatedAgent a : sims) {
        watches.add(() -> {
          a.startWatches();
          return null;
        });
      }
      for (Future<Void> f : setup.invokeAll(watches)) {
        f.get();
      }
      if (design == Design.OLD) {
        for (SimulatedAgent a : sims) {
          timersOfPoint.add(timers.scheduleAtFixedRate(a::renew, ThreadLocalRandom.current().nextLong(RENEW_MS),
              RENEW_MS, TimeUnit.MILLISECONDS));
        }
      }
      Thread.sleep(RENEW_MS * 2); // settled: every watch open, every renewal on its period
      Window rest = probe.measure(seconds, events, runs);
      out.add(new Row(design, Load.REST, n, rest, behind(design, n, rest, false)));
      System.out.println(out.getLast().row());
      JsonObject task = new JsonObject(probe.admin().raw(taskPath()));
      Runs driver = new Runs(sims, task, t.event(), runs);
      timersOfPoint.add(timers.scheduleAtFixedRate(driver, 0, 1000, TimeUnit.MILLISECONDS));
      Thread.sleep(3000); // the first runs done
      Window loaded = probe.measure(seconds, events, runs);
      out.add(new Row(design, Load.RUNS, n, loaded, behind(design, n, loaded, true)));
      System.out.println(out.getLast().row());
      return out;
    } finally {
      timersOfPoint.forEach(f -> f.cancel(false));
      setup.shutdownNow();
      sims.forEach(SimulatedAgent::stop);
      clients.forEach(HttpClient::shutdownNow);
      clean(probe.admin());
      Thread.sleep(2000); // the API server closing the watches
    }
  }

  /** Why the machine did not keep up with a window (more than 20 % behind), or null. */
  static String behind(Design design, int n, Window w, boolean runs) {
    double renewals = design == Design.OLD ? n * 1000.0 / RENEW_MS : 0;
    if (renewals >= 5 && w.leaseWrites() < 0.8 * renewals) {
      return String.format("behind: %.1f Lease writes/s of %.1f", w.leaseWrites(), renewals);
    }
    if (runs && w.runsPerSecond() < 0.8) {
      return String.format("behind: %.2f runs/s of 1", w.runsPerSecond());
    }
    double owed = (w.leaseWrites() + (runs ? 2 * w.runsPerSecond() : 0)) * n; // each write reaches every watcher
    if (owed >= 50 && w.eventsPerSecond() < 0.8 * owed) {
      return String.format("behind: %,.0f events/s delivered of %,.0f", w.eventsPerSecond(), owed);
    }
    return null;
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 25;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(10, 100, 300);
    }
    double maxEvents = Double.parseDouble(System.getProperty("scale.maxEvents", "60000"));
    Instant started = Instant.now();
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(Kubectl.K8S_VERSION).withOfflineMode(true)
        .withApiServerFlag("--advertise-address", "127.0.0.1").withStartupTimeout(120_000).build());
    AtomicBoolean stopped = new AtomicBoolean();
    Thread stopServer = new Thread(() -> {
      if (stopped.compareAndSet(false, true)) {
        server.stop();
      }
    });
    Runtime.getRuntime().addShutdownHook(stopServer); // Ctrl-C stops the API server and etcd too
    server.start();
    Vertx vertx = Vertx.vertx();
    Path dir = Files.createTempDirectory("scalebench");
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(4);
    List<Row> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    try (KubernetesClient admin = new KubernetesClientBuilder()
        .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
      TestCluster.installCrd(admin);
      String direct = server.getKubeConfigYaml();
      Matcher port = Pattern.compile("server: https://127\\.0\\.0\\.1:(\\d+)").matcher(direct);
      if (!port.find()) {
        throw new IllegalStateException("no server URL in the kubeconfig");
      }
      CountingForwarder fwd = new CountingForwarder(vertx, Integer.parseInt(port.group(1)));
      String forwarded = direct.replace("127.0.0.1:" + port.group(1), "127.0.0.1:" + fwd.port());
      Path kubeconfig = TestCluster.useKubeconfig(dir, forwarded);
      Probe probe = new Probe(admin, fwd, pidOf("kube-apiserver"), pidOf("etcd"));
      printHeader();
      Window alone = probe.measure(Math.max(seconds, 30), null, new AtomicLong());
      probe.baseline = alone.perSecond();
      System.out.println("the API server alone, requests/s (subtracted from every window below): " + alone.perSecond()
          + String.format("; kube-apiserver %.1f CPU-s a minute, %d MiB; etcd %.1f CPU-s a minute, %d MiB",
          alone.apiCpuPerMinute(), alone.apiRss() >> 20, alone.etcdCpuPerMinute(), alone.etcdRss() >> 20));
      notes.add("the API server alone (no client but the bench's /metrics reads) made these requests a second, "
          + "subtracted from every window: " + alone.perSecond() + String.format("; it used %.1f CPU-s a minute "
          + "(etcd %.1f), included in every window's CPU", alone.apiCpuPerMinute(), alone.etcdCpuPerMinute()));

      Templates t = realAgents(probe, dir, vertx, seconds, rows);
      admin.resource(admin.getKubernetesSerialization().unmarshal(taskJson(9), DelayedTaskResource.class)).create();
      JsonObject task = new JsonObject(admin.raw(taskPath()));
      task.put("status", t.status().copy());
      admin.raw(taskPath() + "/status", "PUT", task.getMap()); // the real agents' last status, to start from

      List<Integer> all = new ArrayList<>(List.of(3));
      all.addAll(sizes);
      Map<Design, String> stop = new LinkedHashMap<>();
      for (int n : all) {
        for (Design d : Design.values()) {
          if (stop.containsKey(d)) {
            continue;
          }
          double predicted = predictedEvents(rows, d, n);
          if (predicted > maxEvents) {
            stop.put(d, String.format("%s: N = %d not run: %,.0f events/s predicted from the smaller N, more than "
                + "-Dscale.maxEvents=%,.0f (what this machine delivers)", d.title, n, predicted, maxEvents));
            continue;
          }
          try {
            List<Row> point = simulate(d, n, seconds, probe, forwarded, t, timers);
            rows.addAll(point);
            point.stream().filter(r -> r.note() != null).findFirst().ifPresent(r -> stop.put(d, String.format(
                "%s: the machine did not keep up at N = %d (%s); larger N not run", d.title, n, r.note())));
          } catch (Exception | OutOfMemoryError e) {
            stop.put(d, String.format("%s: N = %d failed (%s); larger N not run", d.title, n, e));
          }
        }
      }
      notes.addAll(stop.values());
      report(rows, notes, seconds, sizes, started);
    } finally {
      timers.shutdownNow();
      vertx.close().await();
      if (stopped.compareAndSet(false, true)) {
        server.stop();
      }
      Runtime.getRuntime().removeShutdownHook(stopServer);
    }
    System.exit(0);
  }

  /** Events a second at {@code n} from the design's last two sizes (log-log), the larger of its two loads. */
  static double predictedEvents(List<Row> rows, Design d, int n) {
    double worst = 0;
    for (Load load : Load.values()) {
      List<Row> r = rows.stream().filter(x -> x.design() == d && x.load() == load && x.w().eventsPerSecond() > 0)
          .toList();
      if (r.size() < 2) {
        continue;
      }
      Row a = r.get(r.size() - 2);
      Row b = r.getLast();
      double slope = Math.log(b.w().eventsPerSecond() / a.w().eventsPerSecond()) / Math.log((double) b.n() / a.n());
      worst = Math.max(worst, b.w().eventsPerSecond() * Math.pow((double) n / b.n(), slope));
    }
    return worst;
  }

  static void printHeader() {
    System.out.println("| design | load | N | Lease writes/s | GETs/s | all writes/s | watch events delivered/s |"
        + " bytes to clients/s | kube-apiserver CPU-s a minute | its RSS MiB | etcd CPU-s a minute | its RSS MiB | note |");
    System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  }

  static Optional<Row> find(List<Row> rows, Design d, Load load, int n) {
    return rows.stream().filter(r -> r.design() == d && r.load() == load && r.n() == n).findFirst();
  }

  static void report(List<Row> rows, List<String> notes, int seconds, List<Integer> sizes, Instant started) {
    System.out.printf("%n# bench/kube/scale.sh %d %s (%s to %s, %d cores, load average %s)%n", seconds,
        sizes.stream().map(String::valueOf).reduce((a, b) -> a + " " + b).orElse(""), started, Instant.now(),
        Runtime.getRuntime().availableProcessors(), loadAverage());
    printHeader();
    rows.forEach(r -> System.out.println(r.row()));
    notes.forEach(n -> System.out.println("- " + n));

    System.out.println("\n## The real agents beside the simulated patterns at N = 3: requests a second per agent");
    System.out.println("| load | request | real agents | simulated old | simulated new |");
    System.out.println("| --- | --- | ---: | ---: | ---: |");
    for (Load load : Load.values()) {
      Optional<Row> real = find(rows, null, load, 3);
      Optional<Row> old = find(rows, Design.OLD, load, 3);
      Optional<Row> neu = find(rows, Design.NEW, load, 3);
      if (real.isEmpty() || old.isEmpty() || neu.isEmpty()) {
        continue;
      }
      TreeSet<String> keys = new TreeSet<>(real.get().w().perSecond().keySet());
      keys.addAll(old.get().w().perSecond().keySet());
      keys.addAll(neu.get().w().perSecond().keySet());
      double dOld = 0;
      double dNew = 0;
      for (String k : keys) {
        double r = real.get().w().perSecond().getOrDefault(k, 0.0) / 3;
        double o = old.get().w().perSecond().getOrDefault(k, 0.0) / 3;
        double nw = neu.get().w().perSecond().getOrDefault(k, 0.0) / 3;
        dOld += Math.abs(r - o);
        dNew += Math.abs(r - nw);
        System.out.printf("| %s | %s | %.3f | %.3f | %.3f |%n", load.title, k, r, o, nw);
      }
      double br = real.get().w().bytesPerSecond() / 3;
      double bo = old.get().w().bytesPerSecond() / 3;
      double bn = neu.get().w().bytesPerSecond() / 3;
      System.out.printf("| %s | bytes to the client/s | %,.0f | %,.0f | %,.0f |%n", load.title, br, bo, bn);
      Design match = dOld <= dNew ? Design.OLD : Design.NEW;
      double bm = match == Design.OLD ? bo : bn;
      System.out.printf("| %s | the real agents match | %s | requests off by %.3f/s | requests off by %.3f/s |%n",
          load.title, match.title + String.format(", bytes real ÷ simulated %.2f", br / bm), dOld, dNew);
    }

    System.out.println("\n## Old beside new");
    System.out.println("| load | N | Lease writes/s old | new | all writes/s old | new | watch events/s old | new |"
        + " old ÷ new | bytes to clients/s old | new | old ÷ new | kube-apiserver CPU-s a minute old | new |"
        + " etcd CPU-s a minute old | new |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        + " ---: | ---: | ---: |");
    for (Load load : Load.values()) {
      for (int n : rows.stream().filter(r -> r.design() != null).map(Row::n).distinct().toList()) {
        Optional<Row> o = find(rows, Design.OLD, load, n);
        Optional<Row> nw = find(rows, Design.NEW, load, n);
        if (o.isEmpty() || nw.isEmpty()) {
          continue;
        }
        Window a = o.get().w();
        Window b = nw.get().w();
        System.out.printf("| %s | %d | %.2f | %.2f | %.2f | %.2f | %,.0f | %,.0f | %s | %,.0f | %,.0f | %s | %.1f | %.1f |"
            + " %.1f | %.1f |%n", load.title, n, a.leaseWrites(), b.leaseWrites(), a.writes(), b.writes(),
            a.eventsPerSecond(), b.eventsPerSecond(), ratio(a.eventsPerSecond(), b.eventsPerSecond()),
            a.bytesPerSecond(), b.bytesPerSecond(), ratio(a.bytesPerSecond(), b.bytesPerSecond()), a.apiCpuPerMinute(),
            b.apiCpuPerMinute(), a.etcdCpuPerMinute(), b.etcdCpuPerMinute());
      }
    }

    System.out.println("\n## Fit over N >= 10 (points the machine kept up with): a · N^b");
    for (Design d : Design.values()) {
      for (Load load : Load.values()) {
        List<Row> pts = rows.stream().filter(r -> r.design() == d && r.load() == load && r.n() >= 10
            && r.note() == null).toList();
        System.out.printf("- %s, %s: watch events/s %s; bytes/s %s%n", d.title, load.title,
            fit(pts, r -> r.w().eventsPerSecond()), fit(pts, r -> r.w().bytesPerSecond()));
      }
    }
  }

  static String ratio(double a, double b) {
    return b <= 0 ? "–" : String.format("%,.1f", a / b);
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "?";
    }
  }

  /** The least-squares line through (log N, log y) and what it predicts for 1,000 and 5,000 agents. */
  static String fit(List<Row> pts, java.util.function.ToDoubleFunction<Row> y) {
    List<Row> ok = pts.stream().filter(r -> y.applyAsDouble(r) > 0).toList();
    if (ok.size() < 2) {
      return "(fewer than two points)";
    }
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (Row r : ok) {
      double x = Math.log(r.n());
      double v = Math.log(y.applyAsDouble(r));
      sx += x;
      sy += v;
      sxx += x * x;
      sxy += x * v;
    }
    int k = ok.size();
    double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
    double a = Math.exp((sy - slope * sx) / k);
    return String.format("= %.3g · N^%.2f (%d points): at 1,000 agents %,.0f, at 5,000 %,.0f", a, slope, k,
        a * Math.pow(1000, slope), a * Math.pow(5000, slope));
  }
}

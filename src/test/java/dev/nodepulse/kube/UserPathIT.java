package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.ship.KubeTools;
import dev.nodepulse.tasks.model.Target;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user path of issue 18 on a real API server, as a user would walk it: {@code helm install} of the chart (its
 * CRD, ServiceAccount, ClusterRole, the example ConfigMap), three agents as the chart's ServiceAccount (two in this
 * JVM, one a process of its own), every example of k8s/examples applied with kubectl (their targets pointed at this
 * test's servers, their schedules shortened), then SIGKILL of the agent holding a claim, an API-server restart (the
 * agents' connection cut for 10 s and restored) and a restart of an agent running the {@code nodes: all} tasks. Then,
 * for each task: every due time in the window run or MISSED with no due time run twice, {@code kubectl get dtask}
 * with every column filled, and each agent's REST showing the cluster's phase and runs.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class UserPathIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;

  static final List<String> DTASKS = List.of("warm-cache", "ping-cache", "pi-5000", "reload-nginx");
  static final String SECRET = "s3cret-token";

  /** One HTTP request a target got: its path, Idempotency-Key, Authorization header, and when it came. */
  record Hit(String path, String key, String authorization, Instant at) {
    Instant due() {
      return Instant.parse(key.substring(key.lastIndexOf('/') + 1));
    }
  }

  static DelayedTaskResource task(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  static Status status(String name) {
    DelayedTaskResource t = task(name);
    return t == null ? null : t.getStatus();
  }

  static long n(Long v) {
    return v == null ? 0 : v;
  }

  static Status.NodeStatus entry(String task, String node) {
    Status s = status(task);
    return s == null || s.nodes == null ? null : s.nodes.stream().filter(e -> e.node.equals(node)).findFirst()
        .orElse(null);
  }

  /** {@code example} with each {@code from} replaced by its {@code to}; each must be there (the examples may change). */
  static String rewritten(String example, String... fromTo) throws Exception {
    String yaml = Files.readString(Path.of("k8s/examples", example));
    for (int i = 0; i < fromTo.length; i += 2) {
      assertThat(yaml).as("k8s/examples/%s still has %s", example, fromTo[i]).contains(fromTo[i]);
      yaml = yaml.replace(fromTo[i], fromTo[i + 1]);
    }
    return yaml;
  }

  static Agent start(Path dir, String node) throws Exception {
    return Agent.start(Config.forTest(Files.createDirectories(dir.resolve(node)), "--mode", "kubernetes",
        "--node-name", node, "--lease-duration", "3s")).await(60, TimeUnit.SECONDS);
  }

  static boolean ready(WebClient web, Agent a) {
    return web.get(a.httpPort(), "127.0.0.1", "/readyz").send().await().bodyAsJsonObject().getJsonObject("components")
        .getJsonObject("kubernetes").getBoolean("ready");
  }

  /** The due times of a schedule every {@code every} on the grid through {@code anchor} in {@code (from, to]}. */
  static long dueTimes(Instant anchor, Duration every, Instant from, Instant to) {
    return Math.floorDiv(Duration.between(anchor, to).toMillis(), every.toMillis())
        - Math.floorDiv(Duration.between(anchor, from).toMillis(), every.toMillis());
  }

  /** Each row of {@code kubectl get} output as column name -> cell, cut at the header's column starts. */
  static List<Map<String, String>> table(String out) {
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    String header = lines.getFirst();
    List<Integer> starts = new ArrayList<>();
    for (int i = 0; i < header.length(); i++) {
      if (header.charAt(i) != ' ' && (i == 0 || header.startsWith("  ", i - 2))) { // "NEXT RUN" is one column
        starts.add(i);
      }
    }
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      Map<String, String> row = new LinkedHashMap<>();
      for (int c = 0; c < starts.size(); c++) {
        int from = Math.min(starts.get(c), line.length());
        int to = c + 1 < starts.size() ? Math.min(starts.get(c + 1), line.length()) : line.length();
        row.put(header.substring(starts.get(c), c + 1 < starts.size() ? starts.get(c + 1) : header.length()).strip(),
            line.substring(from, to).strip());
      }
      rows.add(row);
    }
    return rows;
  }

  @Test
  void everyExampleThroughAKilledHolderAnApiServerRestartAndAnAgentRestartIsAccountedForAndShownAlike()
      throws Exception {
    // the chart, installed as a user would (CRD from crds/, ServiceAccount, ClusterRole and binding, the example tasks)
    Path admin = dir.resolve("admin-kubeconfig");
    Files.writeString(admin, kubeConfigYaml);
    KubeTools.helm(dir.resolve("helm"), "install", "nodepulse", KubeTools.CHART.toString(), "--namespace", "nodepulse",
        "--create-namespace", "--set", "exampleTasks.enabled=true", "--kubeconfig", admin.toString()).ok();
    TestCluster.installCrd(client); // installed by helm: waits until it is served
    for (String node : List.of("node-1", "node-2", "node-3")) { // what the kubelets would have registered
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
          .addToLabels("kubernetes.io/os", "linux").addToLabels("kubernetes.io/hostname", node).endMetadata()
          .build()).create();
    }
    // the agents' kubeconfig: the chart's ServiceAccount's token, through a proxy the test cuts as a restart would
    String token = client.serviceAccounts().inNamespace("nodepulse").withName("nodepulse")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode kc = (ObjectNode) yaml.readTree(kubeConfigYaml);
    ((ObjectNode) kc.path("users").get(0)).putObject("user").put("token", token);
    OutageScenario.Proxied proxied = OutageScenario.proxied(Files.createDirectories(dir.resolve("agents")),
        yaml.writeValueAsString(kc));
    Kubectl kubectl = new Kubectl(Files.createDirectories(dir.resolve("kubectl")), kubeConfigYaml);

    Vertx vertx = Vertx.vertx();
    WebClient web = WebClient.create(vertx);
    List<Hit> hits = new CopyOnWriteArrayList<>();
    HttpServer http = vertx.createHttpServer().requestHandler(req -> {
      hits.add(new Hit(req.path(), req.getHeader(Target.Http.IDEMPOTENCY_KEY), req.getHeader("Authorization"),
          Instant.now()));
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    AtomicInteger pings = new AtomicInteger();
    NetServer tcp = vertx.createNetServer().connectHandler(s -> {
      pings.incrementAndGet();
      s.handler(b -> s.write("+PONG\r\n"));
    }).listen(0, "127.0.0.1").await();
    KubeIT.Proxy proxy = new KubeIT.Proxy(vertx, proxied.proxyPort(), proxied.apiPort());
    System.setProperty("kubeconfig", proxied.kubeconfig().toString());
    Process third = TestCluster.agentProcess(dir, proxied.kubeconfig(), "node-3");
    List<Agent> agents = new ArrayList<>();
    try {
      agents.add(start(dir, "node-1"));
      agents.add(start(dir, "node-2"));
      await().atMost(90, TimeUnit.SECONDS).until(() -> agents.stream().allMatch(a -> ready(web, a)));
      await().atMost(90, TimeUnit.SECONDS).until(() -> client.leases().inAnyNamespace().list().getItems().stream()
          .filter(l -> l.getMetadata().getName().equals("node-3")).anyMatch(l -> l.getSpec().getRenewTime() != null
              && l.getSpec().getRenewTime().toInstant().isAfter(Instant.now().minusSeconds(3))));

      // every example, as in the repository but for where its targets are and how soon it runs
      client.resource(new SecretBuilder().withNewMetadata().withName("shop-api").withNamespace("default")
          .endMetadata().addToStringData("token", SECRET).build()).create();
      String base = "http://127.0.0.1:" + http.actualPort();
      String all = String.join("\n---\n",
          rewritten("delayedtask-http.yaml", "http://shop-api.default.svc.cluster.local:8080", base,
              "every: 5m", "every: 2s"),
          rewritten("delayedtask-tcp.yaml", "redis.default.svc.cluster.local:6379", "127.0.0.1:" + tcp.actualPort(),
              "delay: 30s", "delay: 5s"),
          rewritten("delayedtask-compute.yaml", "every: 10m", "every: 5s"),
          rewritten("delayedtask-pipe.yaml", "\"0 3 * * *\"", "\"*/4 * * * * *\""),
          rewritten("tasks-configmap.yaml", "http://shop-api.default.svc.cluster.local:8080", base,
              "\"30 2 * * *\"", "\"*/4 * * * * *\"", "delay: 2m", "delay: 5s"));
      Kubectl.Result applied = kubectl.apply(all);
      assertThat(applied.exitCode()).as(applied.err()).isZero();
      await().atMost(120, TimeUnit.SECONDS).untilAsserted(() -> {
        assertThat(n(status("warm-cache") == null ? null : status("warm-cache").runs)).as("warm-cache runs: %s",
            kubectl.run(null, "get", "dtask", "-n", "default", "-o", "wide").out()).isGreaterThanOrEqualTo(2);
        assertThat(status("pi-5000").nodes).as("pi-5000 ran on every node").extracting(e -> e.node)
            .contains("node-1", "node-2", "node-3");
      });

      // SIGKILL of the agent holding warm-cache's claim (it claimed the latest due time and ran it)
      await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50)).until(() -> {
        Status s = status("warm-cache");
        return "node-3".equals(s.claimedBy) && s.lastRun != null && s.claimedFor.equals(s.lastRun.dueAt);
      });
      Status before = status("warm-cache");
      third.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      Instant killed = Instant.now();
      Map<String, Status.NodeStatus> entriesBefore = new LinkedHashMap<>();
      for (String t : List.of("pi-5000", "reload-nginx")) {
        entriesBefore.put(t, entry(t, "node-2"));
      }
      await().atMost(60, TimeUnit.SECONDS).until(() -> Instant.parse(status("warm-cache").lastRun.dueAt)
          .isAfter(killed.plusSeconds(6)));

      // the API server restarts: to the agents, connections refused and watches broken for 10 s
      proxy.close();
      Instant cut = Instant.now();
      await().atMost(60, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(cut.plusSeconds(10)));
      proxy = new KubeIT.Proxy(vertx, proxied.proxyPort(), proxied.apiPort());
      Instant back = Instant.now();
      await().atMost(90, TimeUnit.SECONDS).until(() -> Instant.parse(status("warm-cache").lastRun.dueAt)
          .isAfter(back.plusSeconds(4)));

      // an agent running the nodes: all tasks restarts (its data dir kept), down for 7 s
      Map<String, Status.NodeStatus> restartedBefore = new LinkedHashMap<>();
      for (String t : List.of("pi-5000", "reload-nginx")) {
        restartedBefore.put(t, entry(t, "node-1"));
      }
      agents.removeFirst().stop().await();
      Instant stopped = Instant.now();
      await().atMost(60, TimeUnit.SECONDS).until(() -> Instant.now().isAfter(stopped.plusSeconds(7)));
      agents.addFirst(start(dir, "node-1"));
      Instant restarted = Instant.now();
      await().atMost(90, TimeUnit.SECONDS).until(() -> List.of("pi-5000", "reload-nginx").stream().allMatch(t -> {
        Status.NodeStatus e = entry(t, "node-1");
        return e != null && e.lastRun != null && Instant.parse(e.lastRun.dueAt).isAfter(restarted);
      }));

      // warm-cache (nodes: one, every 2 s): each due time after the killed holder's last run is run or MISSED
      Instant from = Instant.parse(before.lastRun.dueAt);
      await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        Status s = status("warm-cache");
        Instant last = Instant.parse(s.lastRun.dueAt);
        assertThat(last).isAfter(restarted);
        assertThat((n(s.runs) - n(before.runs)) + (n(s.missed) - n(before.missed)))
            .as("warm-cache: runs + missed for the due times from %s to %s (runs %s -> %s, missed %s -> %s)", from,
                last, before.runs, s.runs, before.missed, s.missed)
            .isEqualTo(Duration.between(from, last).toMillis() / 2000);
      });
      List<Hit> warm = hits.stream().filter(h -> h.path().equals("/warm")).toList();
      assertThat(warm.stream().collect(Collectors.groupingBy(Hit::key, Collectors.counting())))
          .as("warm-cache: no due time run twice").allSatisfy((k, c) -> assertThat(c).as(k).isEqualTo(1L));
      assertThat(warm).as("the Secret's value in the header").allSatisfy(h ->
          assertThat(h.authorization()).isEqualTo(SECRET));

      // ping-cache (a one-shot): once
      assertThat(pings.get()).as("ping-cache: one connection").isEqualTo(1);
      assertThat(status("ping-cache").runs).isEqualTo(1L);
      assertThat(status("ping-cache").phase).isEqualTo(Status.Phase.Succeeded);

      // the nodes: all tasks: on node-2 (up all along, the API server away for 10 s) every due time ran; node-1
      // ran or MISSED each across its restart and kept its schedule (due times on the same grid)
      Map<String, Duration> every = Map.of("pi-5000", Duration.ofSeconds(5), "reload-nginx", Duration.ofSeconds(4));
      for (String t : List.of("pi-5000", "reload-nginx")) {
        Instant anchor = t.equals("pi-5000") ? Wire.specWrittenAt(task(t)) : Instant.EPOCH;
        Status.NodeStatus b = entriesBefore.get(t);
        await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> {
          Status.NodeStatus e = entry(t, "node-2");
          Instant last = Instant.parse(e.lastRun.dueAt);
          assertThat(last).isAfter(restarted);
          assertThat(n(e.runs) - n(b.runs)).as("%s on node-2: runs from %s to %s", t, b.lastRun.dueAt, last)
              .isEqualTo(dueTimes(anchor, every.get(t), Instant.parse(b.lastRun.dueAt), last));
        });
        // node-1: its due times from before its stop to its latest run are run, or MISSED as its RunsMissed Events
        // tell (a nodes: all task's MISSED due times are not in status)
        Status.NodeStatus b1 = restartedBefore.get(t);
        await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> {
          Status.NodeStatus e = entry(t, "node-1");
          Instant last = Instant.parse(e.lastRun.dueAt);
          List<String> told = client.v1().events().inNamespace("default").list().getItems().stream()
              .filter(ev -> "RunsMissed".equals(ev.getReason()) && t.equals(ev.getInvolvedObject().getName())
                  && ev.getMessage().contains("seen by node-1")).map(ev -> ev.getMessage()).toList();
          long missed = told.stream().mapToLong(m -> Long.parseLong(m.substring(0, m.indexOf(' ')))).sum();
          assertThat(n(e.runs) - n(b1.runs) + missed).as("%s on node-1: runs %s -> %s + missed (%s) from %s to %s", t,
              b1.runs, e.runs, told, b1.lastRun.dueAt, last)
              .isEqualTo(dueTimes(anchor, every.get(t), Instant.parse(b1.lastRun.dueAt), last));
        });
        Status.NodeStatus one = entry(t, "node-1");
        assertThat(dueTimes(anchor, every.get(t), Instant.parse(one.lastRun.dueAt).minusMillis(1),
            Instant.parse(one.lastRun.dueAt))).as("%s on node-1 after its restart: %s on the schedule's grid", t,
            one.lastRun.dueAt).isEqualTo(1L);
      }

      // the ConfigMap tasks: nightly-report (nodes: one, every 4 s) never twice; pi (a one-shot) once
      List<Hit> reports = hits.stream().filter(h -> h.path().equals("/reports/nightly")).toList();
      assertThat(reports).isNotEmpty();
      assertThat(reports.stream().collect(Collectors.groupingBy(Hit::key, Collectors.counting())))
          .as("shop-tasks.nightly-report: no due time run twice").allSatisfy((k, c) -> assertThat(c).as(k)
              .isEqualTo(1L));
      // its due times (every 4 s) from its first run to its last: run, or MISSED as the RunsMissed Events on the
      // ConfigMap tell (a ConfigMap task has no status of its own)
      Instant firstReport = reports.stream().map(Hit::due).min(Instant::compareTo).orElseThrow();
      Instant lastReport = reports.stream().map(Hit::due).max(Instant::compareTo).orElseThrow();
      await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> {
        String prefix = "task shop-tasks.nightly-report: ";
        List<String> missedEvents = client.v1().events().inNamespace("default").list().getItems().stream()
            .filter(e -> "RunsMissed".equals(e.getReason()) && e.getMessage().startsWith(prefix))
            .map(e -> e.getMessage()).toList();
        long missed = missedEvents.stream().mapToLong(m -> Long.parseLong(m.substring(prefix.length(),
            m.indexOf(' ', prefix.length())))).sum();
        assertThat(reports.size() + missed).as("shop-tasks.nightly-report: runs %d + missed (%s) for the due times "
            + "from %s to %s", reports.size(), missedEvents, firstReport, lastReport)
            .isEqualTo(Duration.between(firstReport, lastReport).toSeconds() / 4 + 1);
      });

      // kubectl get dtask: every column filled for every task (next run for the recurring ones)
      Kubectl.Result got = kubectl.run(null, "get", "dtask", "-n", "default");
      assertThat(got.exitCode()).as(got.err()).isZero();
      List<Map<String, String>> rows = table(got.out());
      assertThat(rows).extracting(r -> r.get("NAME")).containsExactlyInAnyOrderElementsOf(DTASKS);
      for (Map<String, String> row : rows) {
        List<String> columns = new ArrayList<>(List.of("PHASE", "SCHEDULE", "RUNS", "LAST OUTCOME", "CLAIMED BY",
            "SUMMARY"));
        if (!row.get("NAME").equals("ping-cache")) {
          columns.add("NEXT RUN");
        }
        for (String c : columns) {
          assertThat(row.get(c)).as("%s of %s in%n%s", c, row.get("NAME"), got.out()).isNotBlank()
              .isNotEqualTo("<none>");
        }
      }

      // each agent's REST shows the cluster's phase and runs of every DelayedTask, and agrees with the other on
      // the ConfigMap tasks
      for (Agent a : agents) {
        for (String t : DTASKS) {
          await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> {
            JsonObject rest = web.get(a.httpPort(), "127.0.0.1", "/api/v1/tasks/default/" + t).send().await()
                .bodyAsJsonObject().getJsonObject("status");
            Status s = status(t);
            assertThat(rest.getString("phase")).as("%s on %s", t, a.config().nodeName()).isEqualTo(s.phase.name());
            assertThat(rest.getLong("runs")).as("%s on %s", t, a.config().nodeName()).isEqualTo(s.runs);
          });
        }
      }
      for (Agent a : agents) { // the ConfigMap one-shot ran once in the cluster; the chart's example is not due yet
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> {
          JsonObject pi = web.get(a.httpPort(), "127.0.0.1", "/api/v1/tasks/default/shop-tasks.pi").send().await()
              .bodyAsJsonObject().getJsonObject("status");
          assertThat(pi.getString("phase")).isEqualTo("Succeeded");
          assertThat(pi.getLong("runs")).isEqualTo(1L);
        });
        JsonObject example = web.get(a.httpPort(), "127.0.0.1", "/api/v1/tasks/nodepulse/nodepulse-example-tasks.pi")
            .send().await().bodyAsJsonObject().getJsonObject("status");
        assertThat(example.getString("phase")).isEqualTo("Scheduled");
        assertThat(example.getString("nextRunAt")).isNotBlank();
      }
      for (String t : List.of("shop-tasks.nightly-report", "shop-tasks.pi", "nodepulse-example-tasks.pi")) {
        String ns = t.startsWith("nodepulse-") ? "nodepulse" : "default";
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> {
          List<JsonObject> shown = agents.stream().map(a -> web.get(a.httpPort(), "127.0.0.1",
              "/api/v1/tasks/" + ns + "/" + t).send().await().bodyAsJsonObject().getJsonObject("status")).toList();
          assertThat(shown).extracting(s -> s.getString("phase")).as(t).doesNotContainNull();
          assertThat(shown.stream().map(s -> s.getString("phase") + " " + s.getValue("runs")).distinct())
              .as("%s: phase and runs on every agent", t).hasSize(1);
        });
      }
      assertThat(Files.readAllLines(dir.resolve("node-3.log"))).as("the killed agent's log: ERROR is for what needs a "
          + "person").noneMatch(l -> l.contains(" ERROR "));
    } finally {
      third.destroyForcibly();
      if (Files.exists(dir.resolve("node-3.log"))) { // the process's own log, for a failure's story
        Files.readAllLines(dir.resolve("node-3.log")).stream().skip(Math.max(0,
            Files.readAllLines(dir.resolve("node-3.log")).size() - 20)).forEach(l -> System.out.println("node-3| " + l));
      }
      for (Agent a : agents) {
        a.stop().await();
      }
      proxy.close();
      vertx.close().await();
      System.clearProperty("kubeconfig");
    }
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.run.Jitter;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task controls on a real API server with three whole agents: {@code concurrencyPolicy} Forbid (the default),
 * Allow and Replace on a {@code nodes: one} task whose target holds each request 2.9 s while it is due every second,
 * {@code history} on each agent's run list, and {@code jitter} on a {@code nodes: all} task (each node's own stable
 * amount). What the target receives is told by each request's {@code Idempotency-Key}: the task, the due time and,
 * for {@code nodes: all}, the node.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class ControlsIT {
  static final List<String> NODES = List.of("node-1", "node-2", "node-3");
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static final List<Agent> agents = new ArrayList<>();
  static Vertx vertx;
  static WebClient web;
  static HttpServer target;
  static Kubectl kubectl;
  /** Per path: the requests received, by their Idempotency-Key, in order of arrival. */
  static final Map<String, List<String>> keys = new ConcurrentHashMap<>();
  /** Per path: requests in flight now, and the most seen at once. */
  static final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> maxInFlight = new ConcurrentHashMap<>();

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    kubectl = new Kubectl(dir, kubeConfigYaml);
    TestCluster.useKubeconfig(dir, kubeConfigYaml);
    vertx = Vertx.vertx();
    web = WebClient.create(vertx);
    target = vertx.createHttpServer().requestHandler(req -> {
      String path = req.path();
      keys.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(req.getHeader(Target.Http.IDEMPOTENCY_KEY));
      AtomicInteger now = inFlight.computeIfAbsent(path, p -> new AtomicInteger());
      maxInFlight.computeIfAbsent(path, p -> new AtomicInteger()).accumulateAndGet(now.incrementAndGet(), Math::max);
      AtomicBoolean over = new AtomicBoolean();
      Runnable done = () -> {
        if (over.compareAndSet(false, true)) {
          now.decrementAndGet();
        }
      };
      req.connection().closeHandler(v -> done.run()); // a cancelled run closes its connection
      if (path.startsWith("/hold")) { // each request is answered 2.9 s later: the next two due times come meanwhile
        vertx.setTimer(2900, id -> {
          done.run();
          if (!req.response().closed()) {
            req.response().end("ok");
          }
        });
      } else {
        done.run();
        req.response().end("ok");
      }
    }).listen(0, "127.0.0.1").await();
    agents.addAll(TestCluster.agents(dir, vertx, NODES.toArray(String[]::new)));
  }

  @AfterAll
  static void stop() {
    TestCluster.stop(agents, vertx);
  }

  /** Applies a DelayedTask {@code name} with the given spec lines (two-space indented), calling {@code /path}. */
  static void apply(String name, String lines, String path) throws Exception {
    Kubectl.Result r = kubectl.apply("apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: " + name
        + ", namespace: default}\nspec:\n" + lines + "  target: {http: {url: \"http://127.0.0.1:" + target.actualPort()
        + path + "\", timeout: 30s}}\n");
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  static void delete(String name) {
    client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).delete();
  }

  static DelayedTaskResource get(String name) {
    return client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
  }

  static List<String> received(String path) {
    return keys.getOrDefault(path, List.of());
  }

  /** The due time an Idempotency-Key names ({@code <uid>/<due>[/<node>]}). */
  static Instant dueOf(String key) {
    return Instant.parse(key.split("/")[1]);
  }

  /** The runs an agent lists for a task ({@code GET /api/v1/tasks/default/<name>/runs}), newest first. */
  static List<JsonObject> runs(Agent a, String name) {
    var reply = web.get(a.httpPort(), "127.0.0.1", "/api/v1/tasks/default/" + name + "/runs").send().await();
    assertThat(reply.statusCode()).as(reply.bodyAsString()).isEqualTo(200);
    return reply.bodyAsJsonObject().getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
  }

  @Test
  void forbidByDefaultNeverOverlapsRunsAcrossTheAgentsAndPassesOverTheDueTimesThatCameDuringARun()
      throws Exception {
    apply("forbid", "  every: 1s\n", "/hold-forbid");
    // eight runs of 2.9 s: the agents that did not run one learn of its end at different times, and the due time
    // one of them claims next must not start while another agent's run goes on
    await().atMost(100, TimeUnit.SECONDS).until(() -> received("/hold-forbid").size() >= 8);
    // the due times passed over are accounted for as skipped (by the agent claiming the next one), not MISSED
    await().atMost(30, TimeUnit.SECONDS).until(() -> get("forbid").getStatus().skipped != null
        && get("forbid").getStatus().skipped >= 2);
    Status st = get("forbid").getStatus();
    assertThat(st.lastSkipped.reason).contains("concurrencyPolicy: Forbid");
    delete("forbid");
    assertThat(maxInFlight.get("/hold-forbid").get()).as("requests of the task in flight at once (due times %s)",
        received("/hold-forbid")).isEqualTo(1);
    List<Instant> dues = received("/hold-forbid").stream().map(ControlsIT::dueOf).toList();
    assertThat(dues).as("each due time ran once").doesNotHaveDuplicates().isSorted();
    for (int i = 1; i < dues.size(); i++) {
      // a run holds 2.9 s: the two due times after it passed while it ran, and none of them ran later
      assertThat(Duration.between(dues.get(i - 1), dues.get(i))).as("due times %s", dues)
          .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    }
  }

  @Test
  void allowLetsTwoRunsOfTheTaskBeInFlightAtOnce() throws Exception {
    apply("allow", "  every: 1s\n  concurrencyPolicy: Allow\n", "/hold-allow");
    await().atMost(90, TimeUnit.SECONDS).until(() -> maxInFlight.containsKey("/hold-allow")
        && maxInFlight.get("/hold-allow").get() >= 2);
    delete("allow");
    List<Instant> dues = received("/hold-allow").stream().map(ControlsIT::dueOf).toList();
    assertThat(dues).as("overlapping runs are of different due times").doesNotHaveDuplicates();
  }

  @Test
  void replaceCancelsTheRunStillGoingAtTheNextDueTimeOnItsAgentAndRunsTheNewOne() throws Exception {
    apply("replace", "  every: 1s\n  concurrencyPolicy: Replace\n", "/hold-replace");
    List<JsonObject> cancelled = new ArrayList<>();
    await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).until(() -> {
      cancelled.clear();
      for (Agent a : agents) {
        runs(a, "replace").stream().filter(r -> "CANCELLED".equals(r.getString("outcome"))).forEach(cancelled::add);
      }
      // a cancelled run whose next due time's request came too
      return cancelled.stream().anyMatch(r -> received("/hold-replace").stream().map(ControlsIT::dueOf)
          .anyMatch(Instant.parse(r.getString("dueAt")).plusSeconds(1)::equals));
    });
    delete("replace");
    JsonObject run = cancelled.stream().filter(r -> received("/hold-replace").stream().map(ControlsIT::dueOf)
        .anyMatch(Instant.parse(r.getString("dueAt")).plusSeconds(1)::equals)).findFirst().orElseThrow();
    assertThat(run.getString("node")).isIn(NODES);
    assertThat(received("/hold-replace").stream().map(ControlsIT::dueOf))
        .as("the cancelled run had called the target").contains(Instant.parse(run.getString("dueAt")));
    assertThat(received("/hold-replace").stream().map(ControlsIT::dueOf)).as("each due time ran once")
        .doesNotHaveDuplicates();
  }

  @Test
  void historyKeepsThatManyRunsOnEachAgent() throws Exception {
    apply("kept", "  every: 1s\n  nodes: all\n  history: 3\n", "/kept");
    // six requests from each node: at least five of its runs are recorded on its agent
    await().atMost(90, TimeUnit.SECONDS).until(() -> NODES.stream().allMatch(n -> received("/kept").stream()
        .filter(k -> k.endsWith("/" + n)).count() >= 6));
    for (Agent a : agents) {
      List<JsonObject> kept = runs(a, "kept");
      assertThat(kept).as("runs listed by %s", a.httpPort()).hasSize(3);
      List<Instant> dues = kept.stream().map(r -> Instant.parse(r.getString("dueAt"))).toList();
      assertThat(dues).as("the newest first").isSortedAccordingTo(java.util.Comparator.reverseOrder());
    }
    delete("kept");
  }

  @Test
  void jitterMovesEachNodesDueTimesByItsOwnStableAmountBelowTheJitter() throws Exception {
    apply("spread", "  every: 2s\n  nodes: all\n  jitter: 800ms\n", "/spread");
    await().atMost(90, TimeUnit.SECONDS).until(() -> NODES.stream().allMatch(n -> received("/spread").stream()
        .filter(k -> k.endsWith("/" + n)).count() >= 3));
    DelayedTaskResource t = get("spread");
    Instant written = Wire.specWrittenAt(t);
    var spec = Wire.read(t).spec();
    delete("spread");
    List<Long> amounts = new ArrayList<>();
    for (String n : NODES) {
      List<Long> offsets = received("/spread").stream().filter(k -> k.endsWith("/" + n))
          .map(k -> Math.floorMod(Duration.between(written, dueOf(k)).toMillis(), 2000L)).distinct().toList();
      assertThat(offsets).as("%s's due times, moved from the 2 s grid of the spec's write", n).hasSize(1);
      long offset = offsets.getFirst();
      assertThat(offset).as("%s's amount", n).isBetween(0L, 799L)
          .isEqualTo(Jitter.of(spec, "default/spread", n).toMillis());
      amounts.add(offset);
    }
    assertThat(amounts).as("the amounts of the three nodes").isNotEqualTo(List.of(0L, 0L, 0L));
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.Rendezvous;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.Target;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Takeover without a hole: the agent that holds the claim of a {@code nodes: one} task every 2 s is killed (SIGKILL,
 * a process of its own, its Lease left to expire); the two agents left run or record MISSED every due time it leaves
 * (runs + missed in status = the due times on the task's anchored schedule), run no due time twice (the target sees
 * each Idempotency-Key once), and no run is later than the lease duration plus one interval.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class TakeoverIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir Path dir;

  static final Duration LEASE = Duration.ofSeconds(3);
  static final Duration EVERY = Duration.ofSeconds(1);

  /** One request the target got: its Idempotency-Key and when it came. */
  record Hit(String key, Instant at) {
    /** The due time the key names (after the task: a DelayedTask's uid, a ConfigMap task's namespace/name). */
    Instant due() {
      return Instant.parse(key.substring(key.lastIndexOf('/') + 1));
    }
  }

  static Status status(String name) {
    DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default").withName(name).get();
    return t == null ? null : t.getStatus();
  }

  static long n(Long v) {
    return v == null ? 0 : v;
  }

  static final List<String> NODES = List.of("node-k", "node-1", "node-2");

  /**
   * Whether the victim node-k is the candidate of the task's due times {@code at} and the second after, and the next
   * in rank for the second (once node-k is dead) is not the candidate of the three due times after those.
   */
  static boolean takeoverAt(String name, Instant at) {
    java.util.function.IntFunction<List<String>> rank = s -> Rendezvous.rank(Rendezvous.runKey("default/" + name,
        at.plusSeconds(s)), NODES);
    if (!rank.apply(0).getFirst().equals("node-k") || !rank.apply(1).getFirst().equals("node-k")) {
      return false;
    }
    String stepsIn = rank.apply(1).get(1);
    for (int s = 2; s <= 4; s++) {
      if (rank.apply(s).stream().filter(n -> !n.equals("node-k")).findFirst().orElseThrow().equals(stepsIn)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void theDueTimesAKilledHolderLeavesAreRunOrMissedOnceAndAtMostALeasePlusAnIntervalLate() throws Exception {
    TestCluster.installCrd(client);
    Path kubeconfig = TestCluster.useKubeconfig(dir, kubeConfigYaml);
    Vertx vertx = Vertx.vertx();
    List<Hit> hits = new CopyOnWriteArrayList<>();
    HttpServer target = vertx.createHttpServer().requestHandler(req -> {
      hits.add(new Hit(req.getHeader(Target.Http.IDEMPOTENCY_KEY), Instant.now()));
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await();
    Process victim = TestCluster.agentProcess(dir, kubeconfig, "node-k");
    List<Agent> agents = new ArrayList<>();
    try {
      agents.addAll(TestCluster.agents(dir, vertx, "node-1", "node-2"));
      await().atMost(90, TimeUnit.SECONDS).until(() -> {
        var l = client.leases().inNamespace("default").withName("node-k").get();
        return l != null && l.getSpec().getRenewTime().toInstant().isAfter(Instant.now().minus(LEASE));
      });
      // a task (every 1 s: due times on whole seconds) whose claim the victim holds at a due time `held`, killed then:
      // it is also the candidate of the next due time, which falls while its Lease still looks live, so the others
      // wait it out; the agent next in rank for that one is not the candidate of the three after it (the catch-up
      // run is then claimed by an agent that is not the candidate of its due time)
      Instant soon = Instant.now().plusSeconds(25).truncatedTo(ChronoUnit.SECONDS);
      String name = null;
      Instant held = null;
      for (int i = 0; held == null; i++) {
        name = "beat-" + i;
        for (int s = 0; s < 20 && held == null; s++) {
          if (takeoverAt(name, soon.plusSeconds(s))) {
            held = soon.plusSeconds(s);
          }
        }
      }
      String task = name;
      Instant heldDue = held;
      assertThat(new Kubectl(dir, kubeConfigYaml).apply("""
          apiVersion: nodepulse.dev/v1alpha1
          kind: DelayedTask
          metadata: {name: %s, namespace: default}
          spec:
            every: 1s
            nodes: one
            target: {http: {url: "http://127.0.0.1:%d/beat"}}
          """.formatted(task, target.actualPort())).exitCode()).isZero();
      await().atMost(90, TimeUnit.SECONDS).until(() -> status(task) != null && n(status(task).runs) >= 3);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
        Status s = status(task);
        return heldDue.toString().equals(s.claimedFor) && "node-k".equals(s.claimedBy) && s.lastRun != null
            && heldDue.toString().equals(s.lastRun.dueAt);
      });
      Status before = status(task);
      victim.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      Instant killed = Instant.now();
      Instant from = Instant.parse(before.lastRun.dueAt);

      // every due time after the victim's last run, up to the latest run, is run or MISSED: none left in a hole
      await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        Status s = status(task);
        Instant last = Instant.parse(s.lastRun.dueAt);
        long dueTimes = Duration.between(from, last).toMillis() / EVERY.toMillis();
        assertThat(last).as("runs well past the takeover").isAfter(killed.plus(LEASE).plusSeconds(8));
        assertThat((n(s.runs) - n(before.runs)) + (n(s.missed) - n(before.missed)))
            .as("runs + missed for the %d due times after %s to %s (runs %s -> %s, missed %s -> %s, last missed %s)",
                dueTimes, from, last, before.runs, s.runs, before.missed, s.missed,
                s.lastMissed == null ? null : s.lastMissed.from + ".." + s.lastMissed.to + " " + s.lastMissed.reason)
            .isEqualTo(dueTimes);
      });
      Status after = status(task);
      Instant last = Instant.parse(after.lastRun.dueAt);
      client.resources(DelayedTaskResource.class).inNamespace("default").withName(task).delete();

      Map<String, Long> perKey = hits.stream().collect(Collectors.groupingBy(Hit::key, Collectors.counting()));
      assertThat(perKey).as("each due time's Idempotency-Key at most once").allSatisfy((key, count) ->
          assertThat(count).as(key).isEqualTo(1L));
      List<Hit> window = hits.stream().filter(h -> h.due().isAfter(from) && !h.due().isAfter(last)).toList();
      assertThat((long) window.size()).as("the runs counted in status are the requests the target got")
          .isEqualTo(after.runs - before.runs);
      Function<Hit, Duration> late = h -> Duration.between(h.due(), h.at());
      Duration latest = window.stream().map(late).max(Duration::compareTo).orElseThrow();
      Instant firstAfterKill = window.stream().map(Hit::at).filter(at -> at.isAfter(killed)).min(Instant::compareTo)
          .orElseThrow();
      System.out.printf("takeover: killed at %s, first run after it at %s (%d ms), latest run %d ms after its due time,"
          + " %d runs and %d MISSED for %d due times%n", killed, firstAfterKill,
          Duration.between(killed, firstAfterKill).toMillis(), latest.toMillis(), after.runs - before.runs,
          n(after.missed) - n(before.missed), Duration.between(from, last).toMillis() / EVERY.toMillis());
      assertThat(firstAfterKill).as("the first run after the kill").isBefore(killed.plus(LEASE).plus(EVERY));
      assertThat(latest).as("no run is later than the lease duration plus an interval (%s)",
          window.stream().map(h -> h.due() + "+" + late.apply(h).toMillis() + "ms").toList())
          .isLessThanOrEqualTo(LEASE.plus(EVERY));
    } finally {
      victim.destroyForcibly();
      TestCluster.stop(agents, vertx);
    }
  }
}

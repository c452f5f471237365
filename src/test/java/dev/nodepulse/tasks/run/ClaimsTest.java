package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The claim step in the pipeline: a plugged-in Claims decides, before a run takes a concurrency slot. */
class ClaimsTest {
  @TempDir Path tmp;
  final Vertx vertx = Vertx.vertx();
  final List<String> started = new CopyOnWriteArrayList<>();
  final List<Claims.Request> asked = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A runner that records which task's target ran (the pi digits name the task) and succeeds at once. */
  Runner runner() {
    return (target, headers, progress) -> {
      started.add(String.valueOf(((dev.nodepulse.tasks.model.Target.Compute) target).piDigits()));
      Promise<RunResult> p = Promise.promise();
      p.complete(RunResult.success(null, 1, "ok"));
      return new Execution() {
        @Override
        public Future<RunResult> result() {
          return p.future();
        }

        @Override
        public void cancel() {}
      };
    };
  }

  void deploy(Claims claims) throws Exception {
    Plugins plugins = Plugins.standalone(k -> null).withRunner(runner(), Clock.systemUTC()).withClaims(claims);
    get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp, "--max-concurrent-runs", "1"), plugins)));
  }

  void declare(String name, String timing, int digits) throws Exception {
    String y = "metadata: {name: " + name + ", namespace: c}\nspec: {" + timing + ", target: {compute: {pi: "
        + "{digits: " + digits + "}}}}\n";
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.FILE, name, 0),
        TaskReader.read(y, TaskReader.Format.YAML))));
  }

  JsonObject status(String name) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET, new JsonObject().put("namespace", "c")
        .put("name", name))).body().getJsonObject("status");
  }

  void declareInCluster(String name, String timing) throws Exception {
    String y = "metadata: {name: " + name + ", namespace: c}\nspec: {" + timing + ", nodes: one, target: {compute: "
        + "{pi: {digits: 5}}}}\n";
    get(vertx.eventBus().request(TasksVerticle.DECLARE, Declaration.of(new Origin(Origin.Kind.CRD, "uid-" + name, 1),
        TaskReader.read(y, TaskReader.Format.YAML))));
  }

  /**
   * Claims as a cluster answers them: the first due time given up here (nobody to wait for in time: Taken, no
   * holder), each later one granted with the record's previous claim {@code previousOf} the one asked.
   */
  Claims givenUpThenGranted(java.util.function.UnaryOperator<java.time.Instant> previousOf) {
    return req -> {
      asked.add(req);
      return Future.succeededFuture(asked.size() == 1 ? new Claims.Claim.Taken(null, "waited for node-b in vain")
          : new Claims.Claim.Granted("node-a", previousOf.apply(req.dueAt()), null));
    };
  }

  @Test
  void aDueTimeGivenUpHereThatAnotherAgentRanIsNotCountedMissed() throws Exception {
    // the record shows the due time before each claim claimed: node-b ran the one given up here
    deploy(givenUpThenGranted(due -> due.minusSeconds(1)));
    declareInCluster("ran-elsewhere", "every: 1s");
    await().atMost(Duration.ofSeconds(20)).until(() -> started.size() >= 3);
    assertThat(status("ran-elsewhere").getLong("missed", 0L)).as("runs elsewhere are not MISSED here").isZero();
  }

  @Test
  void dueTimesNobodyClaimedAreCountedByTheNextClaimFromTheRecord() throws Exception {
    // the record's previous claim is two due times back for the second due time asked: the one given up here was
    // claimed by nobody, and that claim counts it (once)
    java.util.concurrent.atomic.AtomicReference<java.time.Instant> second = new java.util.concurrent.atomic.AtomicReference<>();
    deploy(givenUpThenGranted(due -> second.compareAndSet(null, due) ? due.minusSeconds(2) : due.minusSeconds(1)));
    declareInCluster("nobody", "every: 1s");
    await().atMost(Duration.ofSeconds(20)).until(() -> started.size() >= 3);
    JsonObject s = status("nobody");
    assertThat(s.getLong("missed", 0L)).isEqualTo(1L);
    assertThat(s.getJsonObject("lastMissed").getString("from")).isEqualTo(asked.get(0).dueAt().toString());
  }

  @Test
  void dueTimesThatCameWhileThePreviousRunWentOnAreSkippedNotMissed() throws Exception {
    // the record: the previous claim three due times back, its run (Forbid, the default) ended half a second before
    // the due time asked: the two between came while it went on, skipped on purpose; none MISSED
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    deploy(req -> {
      asked.add(req);
      return Future.succeededFuture(first.getAndSet(false)
          ? new Claims.Claim.Granted("node-a", req.dueAt().minusSeconds(3), req.dueAt().minusMillis(500))
          : new Claims.Claim.Granted("node-a"));
    });
    declareInCluster("overran", "every: 1s");
    await().atMost(Duration.ofSeconds(20)).until(() -> started.size() >= 2);
    JsonObject s = status("overran");
    assertThat(s.getLong("missed", 0L)).isZero();
    assertThat(s.getLong("skipped")).isEqualTo(2L);
    assertThat(s.getJsonObject("lastSkipped").getString("from"))
        .isEqualTo(asked.get(0).dueAt().minusSeconds(2).toString());
    assertThat(s.getJsonObject("lastSkipped").getString("to")).isEqualTo(asked.get(0).dueAt().minusSeconds(1).toString());
  }

  @Test
  void anOccurrenceAnotherNodeClaimedDoesNotRunHereAndTheNextIsPlanned() throws Exception {
    deploy(req -> {
      asked.add(req);
      return Future.succeededFuture(new Claims.Claim.Taken("node-b", "node-b holds the lease"));
    });
    declare("elsewhere", "every: 1s", 11);
    await().atMost(Duration.ofSeconds(10)).until(() -> asked.size() >= 2);
    assertThat(started).isEmpty();
    JsonObject s = status("elsewhere");
    assertThat(s.getString("claimedBy")).isEqualTo("node-b");
    assertThat(s.getLong("runs")).isZero();
    assertThat(s.getString("phase")).isEqualTo("Scheduled");
    Claims.Request r = asked.get(0);
    assertThat(r.key()).isEqualTo("c/elsewhere");
    assertThat(r.origin()).isEqualTo(new Origin(Origin.Kind.FILE, "elsewhere", 0));
    assertThat(asked.get(1).dueAt()).isEqualTo(r.dueAt().plusSeconds(1));
  }

  @Test
  void aPendingClaimHoldsNoSlotAndAGrantedOneRunsAndIsShown() throws Exception {
    Map<String, Promise<Claims.Claim>> pending = new ConcurrentHashMap<>();
    deploy(req -> {
      asked.add(req);
      if (req.name().equals("slow-claim")) {
        Promise<Claims.Claim> p = Promise.promise();
        pending.put(req.name(), p);
        return p.future();
      }
      return Future.succeededFuture(new Claims.Claim.Granted(req.node()));
    });
    declare("slow-claim", "delay: 0s", 12);
    await().atMost(Duration.ofSeconds(30)).until(() -> pending.containsKey("slow-claim"));
    // the only compute slot is free while the claim is undecided: another task runs
    declare("quick", "delay: 0s", 13);
    await().atMost(Duration.ofSeconds(30)).until(() -> started.contains("13"));
    assertThat(started).doesNotContain("12");
    vertx.runOnContext(v -> pending.get("slow-claim").complete(new Claims.Claim.Granted("node-a")));
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status("slow-claim").getString("phase")));
    assertThat(started).containsExactly("13", "12");
    assertThat(status("slow-claim").getString("claimedBy")).isEqualTo("node-a");
  }
}

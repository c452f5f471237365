package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task declared from the cluster (a DelayedTask, a ConfigMap entry) carries when its object was written: its
 * schedule counts from then, so two agents that saw it at different times, and an agent started afresh without
 * its state (a new pod's empty data dir), plan the same due times. A file's task counts from when it was seen.
 */
class AnchoredScheduleTest {
  static final Instant WRITTEN = Instant.parse("2026-11-23T12:00:00.250Z");
  @TempDir Path tmp;

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static Runner never() {
    return (target, headers, progress) -> new Execution() {
      final Promise<RunResult> p = Promise.promise();

      @Override
      public Future<RunResult> result() {
        return p.future();
      }

      @Override
      public void cancel() {}
    };
  }

  /** An agent (its pipeline) whose clock reads {@code now}, in a data dir of its own; the task's nextRunAt. */
  String nextRunAt(String dataDir, Instant now, Instant anchor) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Plugins plugins = Plugins.standalone(k -> null).withRunner(never(), Clock.fixed(now, ZoneOffset.UTC));
      get(vertx.deployVerticle(new TasksVerticle(Config.forTest(tmp.resolve(dataDir)), plugins)));
      String y = "metadata: {name: probe, namespace: c}\nspec: {every: 1h, target: {compute: {pi: {digits: 10}}}}\n";
      var task = dev.nodepulse.tasks.model.TaskReader.read(y, dev.nodepulse.tasks.model.TaskReader.Format.YAML);
      Origin origin = new Origin(Origin.Kind.CRD, "uid-1", 1);
      get(vertx.eventBus().request(TasksVerticle.DECLARE, anchor == null ? Declaration.of(origin, task)
          : Declaration.of(origin, task, anchor)));
      JsonObject t = get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET,
          new JsonObject().put("namespace", "c").put("name", "probe"))).body();
      return t.getJsonObject("status").getString("nextRunAt");
    } finally {
      get(vertx.close());
    }
  }

  @Test
  void agentsThatSawTheTaskAtDifferentTimesPlanTheSameDueTimes() throws Exception {
    String a = nextRunAt("node-a", WRITTEN.plusSeconds(2), WRITTEN);
    String b = nextRunAt("node-b", WRITTEN.plus(Duration.ofMinutes(17)).plusMillis(333), WRITTEN);
    assertThat(a).isEqualTo(b).isEqualTo("2026-11-23T13:00:00.250Z");
    // started afresh hours later (no state): the next of the same due times, not one counted from its start
    assertThat(nextRunAt("node-c", WRITTEN.plus(Duration.ofHours(5)).plusSeconds(9), WRITTEN))
        .isEqualTo("2026-11-23T18:00:00.250Z");
  }

  @Test
  void withoutAnAnchorTheScheduleCountsFromWhenTheTaskWasSeen() throws Exception {
    assertThat(nextRunAt("file", WRITTEN.plus(Duration.ofMinutes(17)), null)).isEqualTo("2026-11-23T13:17:00.250Z");
  }
}

package dev.nodepulse.tasks.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.TasksVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory source with the real scheduler: files in, tasks out, live. */
class DirectorySourceTest {
  @TempDir Path tmp;
  Vertx vertx = Vertx.vertx();
  Path dir;
  final java.util.List<String> deployments = new java.util.ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  void start() throws Exception {
    Config config = Config.forTest(tmp.resolve("data"), "--tasks-dir", dir.toString());
    deployments.add(get(vertx.deployVerticle(new TasksVerticle(config))));
    deployments.add(get(vertx.deployVerticle(new DirectorySource(config))));
    await().atMost(Duration.ofSeconds(5)).until(() -> health().getBoolean("ready"));
  }

  JsonObject health() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(DirectorySource.HEALTH, new JsonObject())).body();
  }

  /** The task, or null when the scheduler answers 404. */
  JsonObject task(String name) throws Exception {
    return get(vertx.eventBus().<JsonObject>request(TasksVerticle.GET,
        new JsonObject().put("namespace", "default").put("name", name))
        .map(m -> m.body())
        .recover(err -> err instanceof ReplyException r && r.failureCode() == 404
            ? Future.succeededFuture(null) : Future.failedFuture(err)));
  }

  static String task(String name, String timing) {
    return "apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: " + name + "}\nspec:\n  "
        + timing + "\n  target: {compute: {pi: {digits: 10}}}\n";
  }

  @Test
  void addChangeAndDeleteTakeEffectLive() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    start();
    assertThat(task("a")).isNull();
    Files.writeString(dir.resolve("a.yaml"), task("a", "delay: 1h"));
    await().atMost(Duration.ofSeconds(5)).until(() -> task("a") != null);
    assertThat(task("a").getJsonObject("spec").getString("delay")).isEqualTo("1h");
    assertThat(task("a").getJsonObject("status").getString("phase")).isEqualTo("Scheduled");

    Files.writeString(dir.resolve("a.yaml"), task("a", "every: 2h"));
    await().atMost(Duration.ofSeconds(5)).until(() -> "2h".equals(task("a").getJsonObject("spec").getString("every")));
    assertThat(task("a").getJsonObject("metadata").getLong("generation")).isEqualTo(2);

    Files.writeString(dir.resolve("b.json"), "{\"metadata\": {\"name\": \"b\"}, \"spec\": {\"delay\": \"1h\", "
        + "\"target\": {\"pipe\": {\"name\": \"p\", \"data\": \"x\"}}}}");
    await().atMost(Duration.ofSeconds(5)).until(() -> task("b") != null);

    Files.delete(dir.resolve("a.yaml"));
    await().atMost(Duration.ofSeconds(5)).until(() -> task("a") == null);
    assertThat(task("b")).isNotNull();
  }

  @Test
  void brokenFilesEachFailAloneNamingFileAndFieldWhileAGoodOneRuns() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    try (Stream<Path> bad = Files.list(Path.of("src/test/resources/tasks/bad"))) {
      for (Path p : bad.toList()) {
        Files.copy(p, dir.resolve(p.getFileName()));
      }
    }
    Files.writeString(dir.resolve("good.yaml"), task("good", "delay: 0s"));
    Files.writeString(dir.resolve("notes.txt"), "not a task");
    start();
    await().atMost(Duration.ofSeconds(5)).until(() -> task("good") != null
        && task("good").getJsonObject("status").getLong("runs") == 1);
    assertThat(task("good").getJsonObject("status").getString("phase")).isEqualTo("Succeeded");
    assertThat(task("good").getJsonObject("status").getJsonObject("lastRun").getString("result")).startsWith("3.14");
    JsonObject twoTimings = task("two-timings");
    assertThat(twoTimings.getJsonObject("status").getString("phase")).isEqualTo("Failed");
    assertThat(twoTimings.getJsonObject("status").getJsonArray("conditions").getJsonObject(0).getString("message"))
        .contains("file two-timings.yaml").contains("spec: exactly one of delay, at, every, schedule");
    assertThat(task("bad-url").getJsonObject("status").getJsonArray("conditions").getJsonObject(0)
        .getString("message")).contains("file bad-url.yaml").contains("spec.target.http.url");
    assertThat(task("syntax").getJsonObject("status").getString("phase")).isEqualTo("Failed");
    JsonObject list = get(vertx.eventBus().<JsonObject>request(TasksVerticle.LIST, new JsonObject())).body();
    long bad;
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/tasks/bad"))) {
      bad = files.count();
    }
    assertThat(list.getJsonArray("items")).hasSize((int) bad + 1);
    assertThat(health().getInteger("files")).isEqualTo((int) bad + 1);
  }

  @Test
  void aSecondFileDeclaringARunningTaskIsRefusedNamingBothAndTheFirstKeepsItsRuns() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Files.writeString(dir.resolve("z-first.yaml"), task("same", "every: 1s"));
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> task("same") != null
        && task("same").getJsonObject("status").getLong("runs") >= 2);
    // a second file, whose name sorts first, declares the same task (before: it took over and reset the runs)
    Files.writeString(dir.resolve("a-second.yaml"), task("same", "delay: 2h"));
    await().atMost(Duration.ofSeconds(5)).until(() -> task("a-second") != null);
    JsonObject refused = task("a-second").getJsonObject("status");
    assertThat(refused.getString("phase")).isEqualTo("Failed");
    assertThat(refused.getJsonArray("conditions").getJsonObject(0).getString("message")).isEqualTo(
        "file a-second.yaml: task default/same is already declared by file " + dir.resolve("z-first.yaml")
            + "; the declaration in file " + dir.resolve("a-second.yaml") + " is refused");
    long runs = task("same").getJsonObject("status").getLong("runs");
    await().atMost(Duration.ofSeconds(10)).until(() -> task("same").getJsonObject("status").getLong("runs") > runs);
    assertThat(task("same").getJsonObject("spec").getString("every")).isEqualTo("1s");
    assertThat(task("same").getJsonObject("metadata").getLong("generation")).isEqualTo(1);
    // the first goes away: the second takes over, as a new task
    Files.delete(dir.resolve("z-first.yaml"));
    await().atMost(Duration.ofSeconds(5)).until(() -> task("same") != null
        && "2h".equals(task("same").getJsonObject("spec").getString("delay")) && task("a-second") == null);
  }

  @Test
  void aFileTaskFinishedBeforeARestartIsNotRunAgain() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Files.writeString(dir.resolve("once.yaml"), task("once", "delay: 0s"));
    Files.writeString(dir.resolve("later.yaml"), task("later", "delay: 1h"));
    start();
    await().atMost(Duration.ofSeconds(5)).until(() -> task("once") != null
        && "Succeeded".equals(task("once").getJsonObject("status").getString("phase")));
    String finishedAt = task("once").getJsonObject("status").getJsonObject("lastRun").getString("finishedAt");
    String laterDue = task("later").getJsonObject("status").getString("nextRunAt");
    for (String id : deployments) {
      get(vertx.undeploy(id));
    }
    deployments.clear();
    start();
    JsonObject once = task("once").getJsonObject("status");
    assertThat(once.getString("phase")).isEqualTo("Succeeded");
    assertThat(once.getLong("runs")).isEqualTo(1);
    assertThat(once.getJsonObject("lastRun").getString("finishedAt")).isEqualTo(finishedAt);
    // the 1h delay counts from when the task was first seen, not from the restart
    assertThat(task("later").getJsonObject("status").getString("nextRunAt")).isEqualTo(laterDue);
  }

  @Test
  void withoutATasksDirTheComponentIsReadyAndDisabled() throws Exception {
    get(vertx.deployVerticle(new DirectorySource(Config.forTest(tmp))));
    assertThat(health().getBoolean("ready")).isTrue();
    assertThat(health().getBoolean("enabled")).isFalse();
  }

  @Test
  void aFileDeletedWhileTheAgentWasDownIsForgottenAndRunsAgainWhenReAdded() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Files.writeString(dir.resolve("once.yaml"), task("once", "delay: 0s"));
    start();
    await().atMost(Duration.ofSeconds(5)).until(() -> task("once") != null
        && "Succeeded".equals(task("once").getJsonObject("status").getString("phase")));
    for (String id : deployments) {
      get(vertx.undeploy(id));
    }
    deployments.clear();
    Files.delete(dir.resolve("once.yaml")); // while the agent is down
    start();
    assertThat(task("once")).isNull();
    Path db = tmp.resolve("data").resolve("tasks.db");
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
          var st = c.createStatement();
          var rs = st.executeQuery("SELECT count(*) FROM tasks WHERE key = 'default/once'")) {
        return rs.next() && rs.getLong(1) == 0;
      }
    });
    // added again later: a new task, as it would be had it been deleted while the agent was up
    java.time.Instant readded = java.time.Instant.now().minusMillis(1);
    Files.writeString(dir.resolve("once.yaml"), task("once", "delay: 0s"));
    await().atMost(Duration.ofSeconds(5)).until(() -> task("once") != null
        && task("once").getJsonObject("status").containsKey("lastRun")
        && java.time.Instant.parse(task("once").getJsonObject("status").getJsonObject("lastRun")
            .getString("startedAt")).isAfter(readded));
    assertThat(task("once").getJsonObject("status").getLong("runs")).isEqualTo(1);
  }

  @Test
  void aRewriteThatKeepsTheSizeAndTheModificationTimeIsStillSeen() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    start();
    Path f = dir.resolve("a.yaml");
    Files.writeString(f, task("a", "delay: 1h"));
    await().atMost(Duration.ofSeconds(5)).until(() -> task("a") != null);
    java.nio.file.attribute.FileTime stamp = Files.getLastModifiedTime(f);
    // rewritten within the file system's time granularity: same size, same modification time
    Files.writeString(f, task("a", "delay: 2h"));
    Files.setLastModifiedTime(f, stamp);
    await().atMost(Duration.ofSeconds(5)).until(() -> "2h".equals(task("a").getJsonObject("spec").getString("delay")));
  }
}

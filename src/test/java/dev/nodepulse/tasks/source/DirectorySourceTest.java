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
    start(1000);
  }

  void start(long rescanMs) throws Exception {
    Config config = Config.forTest(tmp.resolve("data"), "--tasks-dir", dir.toString());
    deployments.add(get(vertx.deployVerticle(new TasksVerticle(config))));
    deployments.add(get(vertx.deployVerticle(new DirectorySource(config, rescanMs))));
    await().atMost(Duration.ofSeconds(30)).until(() -> health().getBoolean("ready"));
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
    await().atMost(Duration.ofSeconds(30)).until(() -> task("a") != null);
    assertThat(task("a").getJsonObject("spec").getString("delay")).isEqualTo("1h");
    assertThat(task("a").getJsonObject("status").getString("phase")).isEqualTo("Scheduled");

    Files.writeString(dir.resolve("a.yaml"), task("a", "every: 2h"));
    await().atMost(Duration.ofSeconds(30)).until(() -> "2h".equals(task("a").getJsonObject("spec").getString("every")));
    assertThat(task("a").getJsonObject("metadata").getLong("generation")).isEqualTo(2);

    Files.writeString(dir.resolve("b.json"), "{\"metadata\": {\"name\": \"b\"}, \"spec\": {\"delay\": \"1h\", "
        + "\"target\": {\"pipe\": {\"name\": \"p\", \"data\": \"x\"}}}}");
    await().atMost(Duration.ofSeconds(30)).until(() -> task("b") != null);

    Files.delete(dir.resolve("a.yaml"));
    await().atMost(Duration.ofSeconds(30)).until(() -> task("a") == null);
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
    await().atMost(Duration.ofSeconds(30)).until(() -> task("good") != null
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
    await().atMost(Duration.ofSeconds(30)).until(() -> task("a-second") != null);
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
    await().atMost(Duration.ofSeconds(30)).until(() -> task("same") != null
        && "2h".equals(task("same").getJsonObject("spec").getString("delay")) && task("a-second") == null);
  }

  @Test
  void aFileTaskFinishedBeforeARestartIsNotRunAgain() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Files.writeString(dir.resolve("once.yaml"), task("once", "delay: 0s"));
    Files.writeString(dir.resolve("later.yaml"), task("later", "delay: 1h"));
    start();
    await().atMost(Duration.ofSeconds(30)).until(() -> task("once") != null
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
    await().atMost(Duration.ofSeconds(30)).until(() -> task("once") != null
        && "Succeeded".equals(task("once").getJsonObject("status").getString("phase")));
    for (String id : deployments) {
      get(vertx.undeploy(id));
    }
    deployments.clear();
    Files.delete(dir.resolve("once.yaml")); // while the agent is down
    start();
    assertThat(task("once")).isNull();
    Path db = tmp.resolve("data").resolve("tasks.db");
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
          var st = c.createStatement();
          var rs = st.executeQuery("SELECT count(*) FROM tasks WHERE key = 'default/once'")) {
        return rs.next() && rs.getLong(1) == 0;
      }
    });
    // added again later: a new task, as it would be had it been deleted while the agent was up
    java.time.Instant readded = java.time.Instant.now().minusMillis(1);
    Files.writeString(dir.resolve("once.yaml"), task("once", "delay: 0s"));
    await().atMost(Duration.ofSeconds(30)).until(() -> task("once") != null
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
    await().atMost(Duration.ofSeconds(30)).until(() -> task("a") != null);
    java.nio.file.attribute.FileTime stamp = Files.getLastModifiedTime(f);
    // rewritten within the file system's time granularity: same size, same modification time
    Files.writeString(f, task("a", "delay: 2h"));
    Files.setLastModifiedTime(f, stamp);
    await().atMost(Duration.ofSeconds(30)).until(() -> "2h".equals(task("a").getJsonObject("spec").getString("delay")));
  }

  JsonObject condition(String name) throws Exception {
    return task(name).getJsonObject("status").getJsonArray("conditions").getJsonObject(0);
  }

  @Test
  void aNewFileIsSeenThroughTheWatcherLongBeforeTheNextRescan() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    start(3_600_000); // after the first scan, the next rescan is an hour away: only the watcher can see a new file
    assertThat(health().getBoolean("watching")).isTrue();
    for (int i = 0; i < 5; i++) {
      Files.writeString(dir.resolve("w" + i + ".yaml"), task("w" + i, "delay: 1h"));
      String name = "w" + i;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> task(name) != null);
    }
  }

  @Test
  void linksThatStayInsideAreReadAndOthersAreFailedTasksThatReadNothing() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Path secret = Files.writeString(tmp.resolve("shadow.yaml"), "root:$6$salt$hash:19000:0:99999:7:::\n");
    // a ConfigMap volume: name.yaml -> ..data/name.yaml, ..data -> ..2026_11_30_timestamp/
    Path stamp = Files.createDirectories(dir.resolve("..2026_11_30"));
    Files.writeString(stamp.resolve("cm.yaml"), task("cm", "delay: 1h"));
    Files.createSymbolicLink(dir.resolve("..data"), Path.of("..2026_11_30"));
    Files.createSymbolicLink(dir.resolve("cm.yaml"), Path.of("..data/cm.yaml"));
    Files.createSymbolicLink(dir.resolve("out.yaml"), secret);
    Files.createSymbolicLink(dir.resolve("dangling.yaml"), dir.resolve("nothing-here.yaml"));
    Files.createSymbolicLink(dir.resolve("loop-a.yaml"), dir.resolve("loop-b.yaml"));
    Files.createSymbolicLink(dir.resolve("loop-b.yaml"), dir.resolve("loop-a.yaml"));
    start();
    await().atMost(Duration.ofSeconds(30)).until(() -> task("cm") != null && task("out") != null
        && task("dangling") != null && task("loop-a") != null && task("loop-b") != null);
    assertThat(task("cm").getJsonObject("status").getString("phase")).isEqualTo("Scheduled");
    assertThat(condition("out").getString("message"))
        .isEqualTo("file out.yaml: a link that leads out of the tasks directory; it is not read");
    assertThat(condition("dangling").getString("message"))
        .isEqualTo("file dangling.yaml: a link to a missing file (dangling link); it is not read");
    assertThat(condition("loop-a").getString("message")).contains("file loop-a.yaml: a link that cannot be followed");
    JsonObject list = get(vertx.eventBus().<JsonObject>request(TasksVerticle.LIST, new JsonObject())).body();
    assertThat(list.encode()).doesNotContain("root").doesNotContain("salt");
  }

  @Test
  void aBinaryFileAndAnUnreadableFileSayWhatIsWrongWithoutTheirContent() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Files.write(dir.resolve("binary.yaml"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, (byte) 0xff, (byte) 0xfe});
    Path locked = Files.writeString(dir.resolve("locked.yaml"), "metadata: {name: top-secret-name}\n");
    Files.setPosixFilePermissions(locked, java.util.Set.of());
    boolean root = Files.isReadable(locked); // root reads it anyway: then only the binary case is checked
    start();
    await().atMost(Duration.ofSeconds(30)).until(() -> task("binary") != null && task("locked") != null);
    assertThat(condition("binary").getString("message"))
        .isEqualTo("file binary.yaml: (document): not UTF-8 text: invalid byte at offset 8 (line 1, column 9)");
    if (!root) {
      assertThat(condition("locked").getString("message")).isEqualTo("file locked.yaml: permission denied");
    }
    assertThat(condition("locked").getString("message")).doesNotContain("top-secret");
  }

  @Test
  void aFinishedOneShotBrieflyEmptyWhileAnEditorSavesIsTheSameTaskWithTheSameState() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    Path f = dir.resolve("once.yaml");
    String content = task("once", "delay: 0s");
    Files.writeString(f, content);
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> task("once") != null
        && "Succeeded".equals(task("once").getJsonObject("status").getString("phase")));
    JsonObject before = task("once").getJsonObject("status");
    Files.writeString(f, ""); // the editor truncates, then writes
    await().atMost(Duration.ofSeconds(30)).until(() -> task("once") != null
        && "Failed".equals(task("once").getJsonObject("status").getString("phase")));
    Files.writeString(f, content);
    await().atMost(Duration.ofSeconds(30)).until(() -> task("once") != null && task("once").containsKey("spec"));
    JsonObject after = task("once").getJsonObject("status");
    assertThat(after.getString("phase")).isEqualTo("Succeeded");
    assertThat(after.getLong("runs")).isEqualTo(1);
    assertThat(after.getJsonObject("lastRun")).isEqualTo(before.getJsonObject("lastRun"));
    assertThat(task("once").getJsonObject("metadata").getLong("generation")).isEqualTo(1);
  }
}

package dev.nodepulse.tasks.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record step's disk alone: run history (order, bound, restart), the latest output (cut stated), faults. */
class StatusStoreTest {
  @TempDir Path tmp;
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  StatusStore open(int keep) throws Exception {
    return get(StatusStore.open(vertx, tmp, keep)).getKey();
  }

  static RunRecord run(String name, int n, RunResult r) {
    Instant due = Instant.parse("2026-11-23T12:00:00Z").plusSeconds(60L * n);
    return new RunRecord("ns", name, new Origin(Origin.Kind.REST, "rest:ns/" + name, 0), "compute", due,
        due.plusMillis(5), due.plusMillis(25), 20, 5, "node-a", r);
  }

  @Test
  void theHistoryIsNewestFirstBoundedAndKeptAcrossARestart() throws Exception {
    StatusStore s = open(3);
    for (int i = 0; i < 5; i++) {
      RunResult r = i == 3 ? RunResult.failure(RunResult.Outcome.FAILED, "HTTP 503")
          : RunResult.success(200, i, "ok " + i).withOutput("out " + i);
      s.history().attempted(run("a", i, r));
    }
    s.history().attempted(run("b", 0, RunResult.success(null, 1, "b")));
    JsonArray items = get(s.history().runs("ns/a")).getJsonArray("items");
    assertThat(items).hasSize(3);
    assertThat(items.stream().map(o -> ((JsonObject) o).getString("result")))
        .containsExactly("ok 4", null, "ok 2");
    JsonObject failed = items.getJsonObject(1);
    assertThat(failed.getString("outcome")).isEqualTo("FAILED");
    assertThat(failed.getString("error")).isEqualTo("HTTP 503");
    assertThat(failed.getString("dueAt")).isEqualTo("2026-11-23T12:03:00Z");
    assertThat(failed.getString("startedAt")).isEqualTo("2026-11-23T12:03:00.005Z");
    assertThat(failed.getString("finishedAt")).isEqualTo("2026-11-23T12:03:00.025Z");
    assertThat(failed.getLong("durationMs")).isEqualTo(20);
    assertThat(failed.getString("node")).isEqualTo("node-a");
    assertThat(items.getJsonObject(0).getInteger("httpStatus")).isEqualTo(200);
    assertThat(items.getJsonObject(0).getLong("bytes")).isEqualTo(4);
    assertThat(get(s.history().output("ns/a"))).isEqualTo("out 4");
    get(s.close());

    StatusStore again = open(3);
    assertThat(get(again.history().runs("ns/a")).getJsonArray("items")).hasSize(3);
    assertThat(get(again.history().runs("ns/b")).getJsonArray("items")).hasSize(1);
    assertThat(get(again.history().output("ns/a"))).isEqualTo("out 4");
    // forgetting a task drops its history and output
    again.delete("ns/a");
    again.history().forget("ns/a");
    assertThat(get(again.history().runs("ns/a")).getJsonArray("items")).isEmpty();
    assertThat(get(again.history().output("ns/a"))).isNull();
    get(again.close());
  }

  @Test
  void aLatestRunWithoutOutputHasNoneAndABigOutputIsCutSayingSo() throws Exception {
    StatusStore s = open(20);
    s.history().attempted(run("a", 0, RunResult.success(null, 1, "x").withOutput("first")));
    s.history().attempted(run("a", 1, RunResult.failure(RunResult.Outcome.TIMEOUT, "timed out")));
    assertThat(get(s.history().output("ns/a"))).isNull();
    String big = "9".repeat(RunOutputs.MAX_OUTPUT + 10);
    s.history().attempted(run("a", 2, RunResult.success(null, big.length(), "9999").withOutput(big)));
    String kept = get(s.history().output("ns/a"));
    assertThat(kept).startsWith("9".repeat(RunOutputs.MAX_OUTPUT))
        .endsWith("\n[output cut: its first " + RunOutputs.MAX_OUTPUT + " of " + big.length() + " bytes are kept]\n");
    get(s.close());
  }

  @Test
  void aDamagedTasksDbIsKeptAsideAndAFreshOneStartedSayingWhatWasLost() throws Exception {
    for (String how : new String[] {"empty", "half", "garbage"}) {
      Path dir = Files.createDirectories(tmp.resolve(how));
      StatusStore before = get(StatusStore.open(vertx, dir, 20)).getKey();
      for (int i = 0; i < 200; i++) {
        before.history().attempted(run("a", i, RunResult.success(null, i, "run " + i + " ".repeat(200))));
      }
      assertThat(get(before.history().runs("ns/a")).getJsonArray("items")).hasSize(20);
      get(before.close());
      Path db = dir.resolve("tasks.db");
      byte[] was = Files.readAllBytes(db);
      assertThat(was.length).isGreaterThan(8192);
      byte[] damaged = switch (how) {
        case "empty" -> new byte[0];
        case "half" -> java.util.Arrays.copyOf(was, was.length / 2);
        default -> "not a database at all, but long enough to have a header ......".repeat(100).getBytes();
      };
      Files.write(db, damaged);

      StatusStore after = get(StatusStore.open(vertx, dir, 20)).getKey();
      assertThat(after.failing()).as(how).isFalse();
      assertThat(after.lastError()).as(how).startsWith(db + " was damaged (")
          .contains("it is kept as " + db + ".corrupt-")
          .contains("Lost: the tasks declared through the REST API, every task's run history and state");
      try (var aside = Files.list(dir)) {
        List<Path> kept = aside.filter(p -> p.getFileName().toString().startsWith("tasks.db.corrupt-")).toList();
        assertThat(kept).as(how).hasSize(1);
        assertThat(Files.readAllBytes(kept.get(0))).as("the damaged file, as it was").isEqualTo(damaged);
      }
      // the fresh store works: nothing of before, a new run kept across a restart, nothing said then
      assertThat(get(after.history().runs("ns/a")).getJsonArray("items")).isEmpty();
      after.history().attempted(run("a", 0, RunResult.success(null, 1, "fresh")));
      assertThat(get(after.history().runs("ns/a")).getJsonArray("items")).hasSize(1);
      get(after.close());
      StatusStore again = get(StatusStore.open(vertx, dir, 20)).getKey();
      assertThat(again.lastError()).as(how).isNull();
      assertThat(get(again.history().runs("ns/a")).getJsonArray("items")).hasSize(1);
      get(again.close());
    }
    // a first start (no tasks.db yet) is not damage
    Path fresh = Files.createDirectories(tmp.resolve("fresh"));
    StatusStore f = get(StatusStore.open(vertx, fresh, 20)).getKey();
    assertThat(f.lastError()).isNull();
    get(f.close());
  }

  @Test
  void writeNowCommitsTheRowBeforeItCompletes() throws Exception {
    StatusStore s = open(20);
    TaskRow row = new TaskRow("ns/a", "file", "/t/a.yaml", null, "h", 1, 1000L, null, 0, 1, "Running", null, false,
        2000L, 0, null, 0, null);
    s.rows(k -> java.util.Optional.of(row), () -> List.of("ns/a"));
    get(s.writeNow("ns/a"));
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + tmp.resolve("tasks.db"));
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT running_due FROM tasks WHERE key = 'ns/a'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(2000L);
    }
    get(s.close());
  }

  @Test
  void aTasksDbLockedAtStartIsReadThenWrittenWhenTheLockGoes() throws Exception {
    StatusStore s = open(20);
    TaskRow done = new TaskRow("ns/a", "file", "/t/a.yaml", null, "h", 1, 1000L, null, 1, 1, "Succeeded", null, true,
        null, 0, null, 0, null);
    s.rows(k -> java.util.Optional.of(done), () -> List.of("ns/a"));
    get(s.writeNow("ns/a"));
    get(s.close());
    Path db = tmp.resolve("tasks.db");
    StatusStore locked;
    Future<Void> writable;
    try (var lock = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var st = lock.createStatement()) {
      st.execute("BEGIN EXCLUSIVE");
      var opened = get(StatusStore.open(vertx, tmp, 20));
      locked = opened.getKey();
      // what is stored is read: the finished one-shot stays finished
      assertThat(opened.getValue()).extracting(TaskRow::key, TaskRow::done).containsExactly(
          org.assertj.core.groups.Tuple.tuple("ns/a", true));
      assertThat(locked.failing()).isTrue();
      assertThat(locked.lastError()).startsWith("cannot write tasks.db: locked by another process: " + db
          + "; runs are held until it can be written").endsWith("(its 1 stored tasks were read)");
      // a commit fails at once, without waiting for the lock
      Boolean refused = get(locked.commit().transform(ar -> Future.succeededFuture(ar.failed())));
      assertThat(refused).isTrue();
      writable = locked.writable();
      assertThat(writable.isComplete()).isFalse();
      TaskRow later = new TaskRow("ns/a", "file", "/t/a.yaml", null, "h", 1, 1000L, null, 2, 2, "Succeeded", null,
          true, null, 0, null, 0, null);
      locked.rows(k -> java.util.Optional.of(later), () -> List.of("ns/a"));
      st.execute("ROLLBACK");
    }
    // the lock is gone: the store opens for writing by itself, writes every row, and says it can be written
    writable.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(locked.failing()).isFalse();
    assertThat(locked.lastError()).isNull();
    get(locked.close());
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT runs FROM tasks WHERE key = 'ns/a'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(2);
    }
  }

  /** Mounts a small tmpfs (needs root: skipped elsewhere); unmounted by the caller. */
  static boolean mountTmpfs(Path at, String size) throws Exception {
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString())
        .redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor() == 0;
  }

  @Test
  void aFullDiskIsSaidWithThePathAndTheStoreRecoversWhenSpaceComesBack() throws Exception {
    Path small = Files.createDirectories(tmp.resolve("small"));
    org.junit.jupiter.api.Assumptions.assumeTrue(mountTmpfs(small, "1m"), "mounting a tmpfs needs root");
    try {
      StatusStore s = get(StatusStore.open(vertx, small, 20)).getKey();
      assertThat(s.lastError()).isNull();
      Path filler = small.resolve("filler");
      try (var out = Files.newOutputStream(filler)) {
        byte[] block = new byte[16 * 1024];
        while (true) {
          out.write(block); // until the file system is full
        }
      } catch (java.io.IOException full) {
        // ENOSPC
      }
      TaskRow row = new TaskRow("ns/a", "file", "/t/a.yaml", null, "h", 1, 1000L, null, 0, 1, "Scheduled",
          "x".repeat(200_000), false, null, 0, null, 0, null);
      s.rows(k -> java.util.Optional.of(row), () -> List.of("ns/a"));
      Future<Void> w = s.writeNow("ns/a");
      w.toCompletionStage().toCompletableFuture().handle((v, e) -> null).get(10, TimeUnit.SECONDS);
      assertThat(s.failing()).isTrue();
      assertThat(s.lastError()).startsWith("cannot write tasks.db: disk full: " + small.resolve("tasks.db")
          + "; runs are held until it can be written");

      Files.delete(filler); // space comes back: the next flush writes what was pending
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !s.failing());
      assertThat(s.lastError()).isNull();
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + small.resolve("tasks.db"));
          var st = c.createStatement();
          var rs = st.executeQuery("SELECT length(last_run) FROM tasks WHERE key = 'ns/a'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isEqualTo(200_000);
      }
      get(s.close());
    } finally {
      new ProcessBuilder("umount", "-l", small.toString()).start().waitFor();
    }
  }
}

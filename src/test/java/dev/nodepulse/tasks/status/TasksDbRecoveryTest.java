package dev.nodepulse.tasks.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery at start alone: what counts as damage, how a damaged tasks.db is set aside, what a locked one gives. */
class TasksDbRecoveryTest {
  @TempDir Path tmp;

  static TaskRow row(String key, boolean done) {
    return new TaskRow(key, "file", "/t/" + key, null, "h", 1, 1000L, null, 1, 1, done ? "Succeeded" : "Scheduled",
        null, done, null, 0, null, 0, null);
  }

  @Test
  void onlyAnEmptyForeignOrMalformedFileIsDamage() throws Exception {
    Path db = tmp.resolve("tasks.db");
    assertThat(TasksDbRecovery.damage(db)).as("missing: a first start").isNull();
    try (TaskStore s = TaskStore.open(db)) {
      s.write(List.of(row("ns/a", true)), List.of(), List.of(), k -> 20);
    }
    assertThat(TasksDbRecovery.damage(db)).as("sound").isNull();
    Files.write(db, new byte[0]);
    assertThat(TasksDbRecovery.damage(db)).isEqualTo("empty: 0 bytes");
    Files.writeString(db, "not a database at all, but long enough to have a header ......".repeat(100));
    assertThat(TasksDbRecovery.damage(db)).isEqualTo("not a SQLite database");
    assertThat(TasksDbRecovery.damage(tmp)).as("a directory is not damage: it is said when opened").isNull();
  }

  @Test
  void aDamagedFileIsMovedAsideWithItsWalAndItsIndexRemoved() throws Exception {
    Path db = tmp.resolve("tasks.db");
    Files.writeString(db, "db");
    Files.writeString(tmp.resolve("tasks.db-wal"), "wal");
    Files.writeString(tmp.resolve("tasks.db-shm"), "shm");
    Path first = TasksDbRecovery.setAside(db);
    assertThat(first.getFileName().toString()).matches("tasks\\.db\\.corrupt-\\d{8}T\\d{6}Z");
    assertThat(first).hasContent("db");
    assertThat(first.resolveSibling(first.getFileName() + "-wal")).hasContent("wal");
    assertThat(db).doesNotExist();
    assertThat(tmp.resolve("tasks.db-wal")).doesNotExist();
    assertThat(tmp.resolve("tasks.db-shm")).doesNotExist();
    Files.writeString(db, "again");
    Path second = TasksDbRecovery.setAside(db);
    assertThat(second).as("never over an earlier one").isNotEqualTo(first).hasContent("again");
    assertThat(first).hasContent("db");
  }

  @Test
  void openingAFreshDamagedOrLockedFileSaysWhatItFound() throws Exception {
    Path db = tmp.resolve("tasks.db");
    var fresh = TasksDbRecovery.open(db);
    assertThat(fresh.rows()).isEmpty();
    assertThat(fresh.why()).isNull();
    assertThat(fresh.warning()).isNull();
    fresh.db().write(List.of(row("ns/a", true)), List.of(), List.of(), k -> 20);
    fresh.db().close();

    try (var lock = DriverManager.getConnection("jdbc:sqlite:" + db); var st = lock.createStatement()) {
      st.execute("BEGIN EXCLUSIVE");
      var locked = TasksDbRecovery.open(db);
      assertThat(locked.db()).isNull();
      assertThat(locked.why()).isEqualTo("locked by another process: " + db);
      assertThat(locked.rows()).extracting(TaskRow::key, TaskRow::done)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("ns/a", true));
      st.execute("ROLLBACK");
    }

    Files.write(db, new byte[0]);
    var damaged = TasksDbRecovery.open(db);
    assertThat(damaged.rows()).isEmpty();
    assertThat(damaged.warning()).startsWith(db + " was damaged (empty: 0 bytes) when the agent started: it is kept as "
        + db + ".corrupt-");
    assertThat(damaged.db()).isNotNull();
    damaged.db().close();
  }
}

package dev.nodepulse.tasks.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.nio.file.Path;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Whether tasks.db can be written, why not, and who waits: alone, without a database. */
class WritabilityTest {
  final Path db = Path.of("/data/tasks.db");

  @Test
  void aFailedWriteMakesItFailingUntilAWriteSucceedsAndThenThoseWaitingGoOn() {
    Writability w = new Writability(db);
    assertThat(w.failing()).isFalse();
    assertThat(w.writable().succeeded()).isTrue();
    w.failed(new SQLException("[SQLITE_BUSY] The database file is locked (database is locked)"));
    assertThat(w.failing()).isTrue();
    assertThat(w.lastError()).isEqualTo("cannot write tasks.db: locked by another process: " + db
        + "; runs are held until it can be written (tried again every second)");
    Future<Void> a = w.writable();
    Future<Void> b = w.writable();
    w.failed(new SQLException("[SQLITE_FULL] database or disk is full"));
    assertThat(w.lastError()).as("a new reason replaces the old one").startsWith("cannot write tasks.db: disk full: " + db);
    assertThat(a.isComplete()).isFalse();
    w.written();
    assertThat(w.failing()).isFalse();
    assertThat(w.lastError()).isNull();
    assertThat(a.succeeded()).isTrue();
    assertThat(b.succeeded()).isTrue();
  }

  @Test
  void aStartUpWarningIsSaidWhileNothingWorseIs() {
    Writability w = new Writability(db);
    w.warn("tasks.db was damaged");
    assertThat(w.failing()).isFalse();
    assertThat(w.lastError()).isEqualTo("tasks.db was damaged");
    w.readOnly("read-only: " + db, 3);
    assertThat(w.failing()).isTrue();
    assertThat(w.lastError()).isEqualTo("cannot write tasks.db: read-only: " + db
        + "; runs are held until it can be written (tried again every second) (its 3 stored tasks were read)");
    w.failed(new SQLException("[SQLITE_READONLY] attempt to write a readonly database"));
    assertThat(w.lastError()).as("the same reason keeps what was said at start").endsWith("(its 3 stored tasks were read)");
    w.written();
    assertThat(w.lastError()).isEqualTo("tasks.db was damaged");
  }

  @Test
  void anUnusableTasksDbFailsForGood() {
    Writability w = new Writability(db);
    w.unusable("permission denied: " + db);
    assertThat(w.failing()).isTrue();
    assertThat(w.lastError()).isEqualTo("tasks.db cannot be read or written (permission denied: " + db
        + "): what it holds is unknown, so no task runs until it can be used and the agent is restarted");
    assertThat(w.writable().isComplete()).isFalse();
  }

  @Test
  void storageErrorsAreSaidInWordsWithThePath() {
    assertThat(Writability.describe(new SQLException("[SQLITE_FULL] Insertion failed because database is full "
        + "(database or disk is full)"), db)).isEqualTo("disk full: " + db);
    assertThat(Writability.describe(new RuntimeException(new java.io.IOException("No space left on device")), db))
        .isEqualTo("disk full: " + db);
    assertThat(Writability.describe(new SQLException("[SQLITE_READONLY] attempt to write a readonly database"), db))
        .isEqualTo("read-only: " + db);
    assertThat(Writability.describe(new SQLException("[SQLITE_BUSY] The database file is locked (database is locked)"),
        db)).isEqualTo("locked by another process: " + db);
    assertThat(Writability.describe(new java.nio.file.AccessDeniedException(db.toString()), db))
        .isEqualTo("permission denied: " + db);
    assertThat(Writability.describe(new SQLException("[SQLITE_NOTADB] file is not a database"), db))
        .isEqualTo("not a usable SQLite database: " + db);
    assertThat(Writability.describe(new SQLException("something else: cannot commit"), db))
        .isEqualTo("cannot use " + db);
  }
}

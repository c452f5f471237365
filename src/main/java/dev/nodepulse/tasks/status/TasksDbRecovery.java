package dev.nodepulse.tasks.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery at start: tasks.db opened for the status store, whatever state the agent left it in.
 *
 * <ul>
 *   <li>Damaged (empty, truncated, not SQLite, failing SQLite's quick check): kept aside as
 *       {@code tasks.db.corrupt-<time>}, a fresh one is started and this is said (the log, once, and
 *       {@link Opened#warning()}).</li>
 *   <li>Not writable (read-only, locked by another process, full): its stored rows are read read-only when they
 *       can be, so what is stored still holds (finished one-shots stay done); {@link Opened#why()} says why.</li>
 *   <li>Not readable either: fails; what it holds is unknown.</li>
 * </ul>
 *
 * Blocking: runs on the store's worker.
 */
final class TasksDbRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(TasksDbRecovery.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private TasksDbRecovery() {}

  /**
   * What was found: {@code db} open for writing (null when it cannot be written: {@code why} says why in words),
   * the stored rows, and a warning when a damaged tasks.db was set aside (else null).
   */
  record Opened(TaskStore db, List<TaskRow> rows, String why, String warning) {}

  /** Opens {@code file}; fails only when it can be neither written nor read. */
  static Opened open(Path file) throws IOException, SQLException {
    String warning = null;
    String damage = damage(file);
    if (damage != null) {
      Path aside = setAside(file);
      warning = file + " was damaged (" + damage + ") when the agent started: it is kept as " + aside
          + " and a fresh one was started. Lost: the tasks declared through the REST API, every task's run "
          + "history and state (tasks from files and DelayedTasks are read again from their sources; one-shot "
          + "tasks that had already run may run again)";
      LOG.error(warning);
    }
    try {
      TaskStore db = TaskStore.open(file);
      return new Opened(db, db.loadAll(), null, warning);
    } catch (SQLException | RuntimeException e) {
      return new Opened(null, TaskStore.readOnly(file), Writability.describe(e, file), warning);
    }
  }

  /**
   * What is wrong with the tasks.db at {@code file}, in words, when it is damaged: empty (truncated to 0 bytes),
   * not a SQLite database, or failing SQLite's quick check (a truncated or overwritten file). Null when it is
   * missing or sound, and when it cannot be opened for another reason (permissions, a full disk), which is not
   * damage and is said when the store itself is opened.
   */
  static String damage(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    if (Files.size(file) == 0) {
      return "empty: 0 bytes";
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = c.createStatement();
        ResultSet r = st.executeQuery("PRAGMA quick_check")) {
      String first = r.next() ? r.getString(1) : "no answer";
      return "ok".equals(first) ? null : "SQLite's quick check failed";
    } catch (SQLException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("SQLITE_NOTADB")) {
        return "not a SQLite database";
      }
      if (m.contains("SQLITE_CORRUPT")) {
        return "truncated or overwritten: SQLite finds it malformed";
      }
      return null;
    }
  }

  /**
   * Moves a damaged tasks.db aside as {@code tasks.db.corrupt-<UTC time>} (its WAL beside it with SQLite's
   * {@code -wal} suffix, so the two open together), and removes its shared-memory index. The time is the wall
   * clock's: the name dates the file among the node's files and logs.
   */
  static Path setAside(Path file) throws IOException {
    String stamp = STAMP.format(ZonedDateTime.now(ZoneOffset.UTC));
    Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + stamp);
    for (int n = 1; Files.exists(aside); n++) {
      aside = file.resolveSibling(file.getFileName() + ".corrupt-" + stamp + "-" + n);
    }
    Files.move(file, aside);
    Path wal = file.resolveSibling(file.getFileName() + "-wal");
    if (Files.exists(wal)) {
      Files.move(wal, aside.resolveSibling(aside.getFileName() + "-wal"));
    }
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + "-shm"));
    return aside;
  }
}

package dev.nodepulse.tasks.status;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code <dataDir>/tasks.db} (SQLite): one row per task (its state) and its last runs. Blocking: used only from
 * the status store's single worker, which also keeps writes in order.
 */
final class TaskStore implements AutoCloseable {

  /** One run of the history; times in epoch ms (null when not known). */
  record Run(Long dueAt, Long startedAt, Long finishedAt, long durationMs, String node, String outcome,
      String error, String result, long bytes, Integer httpStatus) {}

  /**
   * How long a write waits for another process's lock before it fails: short, so a locked tasks.db is found
   * at once and the runs waiting for it are held, not queued behind one another (SQLite's driver waits 3 s).
   */
  static final int BUSY_TIMEOUT_MS = 200;

  private final Connection db;

  private TaskStore(Connection db) {
    this.db = db;
  }

  /**
   * Opens tasks.db for writing and proves it can be written (a write of its own), or fails: a read-only file
   * system or file, a database locked by another process, a full disk.
   */
  static TaskStore open(Path file) throws SQLException {
    try {
      Files.createDirectories(file.getParent());
    } catch (java.io.IOException e) {
      throw new SQLException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
    }
    Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = db.createStatement()) {
      s.execute("PRAGMA busy_timeout=" + BUSY_TIMEOUT_MS);
      try (ResultSet mode = s.executeQuery("PRAGMA journal_mode=WAL")) {
        mode.next(); // WAL: readers do not block the writer
      }
      // FULL: each commit is fsync'd before it returns, so what is answered (201, 204) or recorded as started
      // survives a kill -9 of the agent and a crash of the node (NORMAL in WAL mode survives only the former)
      s.execute("PRAGMA synchronous=FULL");
      s.execute("""
          CREATE TABLE IF NOT EXISTS tasks(
            key TEXT PRIMARY KEY, source TEXT NOT NULL, source_key TEXT NOT NULL, object TEXT,
            spec_hash TEXT, generation INTEGER NOT NULL, first_seen INTEGER NOT NULL, next_run_at INTEGER,
            runs INTEGER NOT NULL, attempts INTEGER NOT NULL, phase TEXT NOT NULL, last_run TEXT,
            done INTEGER NOT NULL)""");
      for (String[] column : ADDED_COLUMNS) {
        if (!hasColumn(s, "tasks", column[0])) {
          s.execute("ALTER TABLE tasks ADD COLUMN " + column[0] + " " + column[1]);
        }
      }
      s.execute("""
          CREATE TABLE IF NOT EXISTS runs(
            key TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, due_at INTEGER, started_at INTEGER,
            finished_at INTEGER, duration_ms INTEGER NOT NULL, node TEXT, outcome TEXT NOT NULL, error TEXT,
            result TEXT, bytes INTEGER NOT NULL, http_status INTEGER)""");
      s.execute("CREATE INDEX IF NOT EXISTS runs_key ON runs(key, seq)");
      s.execute("CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT)");
      s.execute("INSERT OR IGNORE INTO meta(k, v) VALUES ('created', strftime('%s','now'))");
      s.execute(WRITTEN); // proves the file can be written now
    } catch (SQLException e) {
      db.close();
      throw e;
    }
    return new TaskStore(db);
  }

  /**
   * Columns of {@code tasks} beyond its first ones, each added where missing so that a tasks.db written by an
   * older agent is read with its rows: {@code running_due}, a run started and not yet recorded; {@code missed}
   * and {@code last_missed}, due times not run and their latest burst; {@code skipped} and {@code last_skipped},
   * due times passed over while a run went on (concurrencyPolicy Forbid).
   */
  private static final String[][] ADDED_COLUMNS = {
      {"running_due", "INTEGER"},
      {"missed", "INTEGER NOT NULL DEFAULT 0"}, {"last_missed", "TEXT"},
      {"skipped", "INTEGER NOT NULL DEFAULT 0"}, {"last_skipped", "TEXT"}};

  /** Every write touches this row, so a write with nothing else to write still finds a lock or a read-only file. */
  private static final String WRITTEN = "INSERT OR REPLACE INTO meta(k, v) VALUES ('written', strftime('%s','now'))";

  private static boolean hasColumn(Statement s, String table, String column) throws SQLException {
    try (ResultSet r = s.executeQuery("SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = '" + column + "'")) {
      return r.next();
    }
  }

  /**
   * The stored rows of a tasks.db that cannot be written: read-only, or else as an immutable file (a read-only
   * file system where SQLite cannot make its shared-memory index; what only the WAL holds is then not seen).
   * Empty when there is no tasks.db; fails when it exists and cannot be read.
   */
  static List<TaskRow> readOnly(Path file) throws SQLException {
    if (!Files.exists(file)) {
      return List.of();
    }
    SQLException first;
    try {
      return readWith("jdbc:sqlite:file:" + file + "?mode=ro");
    } catch (SQLException e) {
      first = e;
    }
    try {
      return readWith("jdbc:sqlite:file:" + file + "?immutable=1");
    } catch (SQLException e) {
      first.addSuppressed(e);
      throw first;
    }
  }

  private static List<TaskRow> readWith(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=" + BUSY_TIMEOUT_MS);
      return new TaskStore(c).loadAll();
    }
  }

  List<TaskRow> loadAll() throws SQLException {
    List<TaskRow> rows = new ArrayList<>();
    try (Statement s = db.createStatement();
        ResultSet r = s.executeQuery("SELECT key, source, source_key, object, spec_hash, generation, first_seen, "
            + "next_run_at, runs, attempts, phase, last_run, done, running_due, missed, last_missed, skipped, last_skipped "
            + "FROM tasks")) {
      while (r.next()) {
        rows.add(new TaskRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
            r.getLong(6), r.getLong(7), longOrNull(r, 8), r.getLong(9), r.getLong(10), r.getString(11),
            r.getString(12), r.getInt(13) != 0, longOrNull(r, 14), r.getLong(15), r.getString(16), r.getLong(17),
            r.getString(18)));
      }
    }
    return rows;
  }

  private static Long longOrNull(ResultSet r, int col) throws SQLException {
    long v = r.getLong(col);
    return r.wasNull() ? null : v;
  }

  /** Writes the rows, deletes the keys (with their runs) and appends the runs, in one transaction. */
  void write(Collection<TaskRow> rows, Collection<String> deleted, List<java.util.Map.Entry<String, Run>> runs,
      java.util.function.ToIntFunction<String> keepOf)
      throws SQLException {
    db.setAutoCommit(false);
    try (PreparedStatement up = db.prepareStatement("INSERT OR REPLACE INTO tasks(key, source, source_key, object, "
        + "spec_hash, generation, first_seen, next_run_at, runs, attempts, phase, last_run, done, running_due, missed, "
        + "last_missed, skipped, last_skipped) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        PreparedStatement del = db.prepareStatement("DELETE FROM tasks WHERE key = ?");
        PreparedStatement delRuns = db.prepareStatement("DELETE FROM runs WHERE key = ?");
        PreparedStatement add = db.prepareStatement("INSERT INTO runs(key, due_at, started_at, finished_at, "
            + "duration_ms, node, outcome, error, result, bytes, http_status) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
        PreparedStatement trim = db.prepareStatement("DELETE FROM runs WHERE key = ? AND seq NOT IN "
            + "(SELECT seq FROM runs WHERE key = ? ORDER BY seq DESC LIMIT ?)")) {
      for (String k : deleted) {
        del.setString(1, k);
        del.addBatch();
        delRuns.setString(1, k);
        delRuns.addBatch();
      }
      del.executeBatch();
      delRuns.executeBatch();
      for (TaskRow r : rows) {
        up.setString(1, r.key());
        up.setString(2, r.source());
        up.setString(3, r.sourceKey());
        up.setString(4, r.object());
        up.setString(5, r.specHash());
        up.setLong(6, r.generation());
        up.setLong(7, r.firstSeen());
        setLong(up, 8, r.nextRunAt());
        up.setLong(9, r.runs());
        up.setLong(10, r.attempts());
        up.setString(11, r.phase());
        up.setString(12, r.lastRun());
        up.setInt(13, r.done() ? 1 : 0);
        setLong(up, 14, r.runningDue());
        up.setLong(15, r.missed());
        up.setString(16, r.lastMissed());
        up.setLong(17, r.skipped());
        up.setString(18, r.lastSkipped());
        up.addBatch();
      }
      up.executeBatch();
      java.util.Set<String> touched = new java.util.LinkedHashSet<>();
      for (var e : runs) {
        Run run = e.getValue();
        add.setString(1, e.getKey());
        setLong(add, 2, run.dueAt());
        setLong(add, 3, run.startedAt());
        setLong(add, 4, run.finishedAt());
        add.setLong(5, run.durationMs());
        add.setString(6, run.node());
        add.setString(7, run.outcome());
        add.setString(8, run.error());
        add.setString(9, run.result());
        add.setLong(10, run.bytes());
        if (run.httpStatus() == null) {
          add.setNull(11, Types.INTEGER);
        } else {
          add.setInt(11, run.httpStatus());
        }
        add.addBatch();
        touched.add(e.getKey());
      }
      add.executeBatch();
      for (String k : touched) {
        trim.setString(1, k);
        trim.setString(2, k);
        trim.setInt(3, keepOf.applyAsInt(k));
        trim.addBatch();
      }
      trim.executeBatch();
      try (Statement written = db.createStatement()) {
        written.execute(WRITTEN);
      }
      db.commit();
    } catch (SQLException e) {
      try {
        db.rollback();
      } catch (SQLException ignored) {
        // the failed commit may have ended the transaction already; the first error is the one to report
      }
      throw e;
    } finally {
      try {
        db.setAutoCommit(true);
      } catch (SQLException ignored) {
        // as above
      }
    }
  }

  private static void setLong(PreparedStatement s, int col, Long v) throws SQLException {
    if (v == null) {
      s.setNull(col, Types.INTEGER);
    } else {
      s.setLong(col, v);
    }
  }

  /** The task's last runs, newest first, at most {@code limit}. */
  List<Run> runs(String key, int limit) throws SQLException {
    List<Run> out = new ArrayList<>();
    try (PreparedStatement q = db.prepareStatement("SELECT due_at, started_at, finished_at, duration_ms, node, "
        + "outcome, error, result, bytes, http_status FROM runs WHERE key = ? ORDER BY seq DESC LIMIT ?")) {
      q.setString(1, key);
      q.setInt(2, limit);
      try (ResultSet r = q.executeQuery()) {
        while (r.next()) {
          long http = r.getLong(10);
          Integer httpStatus = r.wasNull() ? null : (int) http;
          out.add(new Run(longOrNull(r, 1), longOrNull(r, 2), longOrNull(r, 3), r.getLong(4), r.getString(5),
              r.getString(6), r.getString(7), r.getString(8), r.getLong(9), httpStatus));
        }
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}

package dev.nodepulse.scheduler;

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
 * Task state in SQLite ({@code <dataDir>/tasks.db}): one row per task. Blocking: call it only from the
 * scheduler's single worker (never the event loop), which also keeps writes in order.
 */
final class TaskStore implements AutoCloseable {

  /** One task's persisted state; {@code object} is the DelayedTask JSON without status. Times in epoch ms. */
  record Row(String key, String source, String sourceKey, String object, String specHash, long generation,
      long firstSeen, Long nextRunAt, long runs, long attempts, String phase, String lastRun, boolean done) {}

  private final Connection db;

  TaskStore(Path dataDir) throws SQLException {
    try {
      Files.createDirectories(dataDir);
    } catch (java.io.IOException e) {
      throw new SQLException("cannot create " + dataDir + ": " + e.getMessage(), e);
    }
    db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("tasks.db"));
    try (Statement s = db.createStatement()) {
      try (ResultSet mode = s.executeQuery("PRAGMA journal_mode=WAL")) {
        mode.next(); // WAL: readers do not block the writer
      }
      s.execute("PRAGMA synchronous=NORMAL");
      s.execute("""
          CREATE TABLE IF NOT EXISTS tasks(
            key TEXT PRIMARY KEY, source TEXT NOT NULL, source_key TEXT NOT NULL, object TEXT,
            spec_hash TEXT, generation INTEGER NOT NULL, first_seen INTEGER NOT NULL, next_run_at INTEGER,
            runs INTEGER NOT NULL, attempts INTEGER NOT NULL, phase TEXT NOT NULL, last_run TEXT,
            done INTEGER NOT NULL)""");
    }
  }

  List<Row> loadAll() throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Statement s = db.createStatement();
        ResultSet r = s.executeQuery("SELECT key, source, source_key, object, spec_hash, generation, first_seen, "
            + "next_run_at, runs, attempts, phase, last_run, done FROM tasks")) {
      while (r.next()) {
        long next = r.getLong(8);
        Long nextRunAt = r.wasNull() ? null : next;
        rows.add(new Row(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
            r.getLong(6), r.getLong(7), nextRunAt, r.getLong(9), r.getLong(10), r.getString(11), r.getString(12),
            r.getInt(13) != 0));
      }
    }
    return rows;
  }

  /** Writes the rows and deletes the keys, in one transaction. */
  void write(Collection<Row> rows, Collection<String> deleted) throws SQLException {
    db.setAutoCommit(false);
    try (PreparedStatement up = db.prepareStatement("INSERT OR REPLACE INTO tasks(key, source, source_key, object, "
        + "spec_hash, generation, first_seen, next_run_at, runs, attempts, phase, last_run, done) "
        + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
        PreparedStatement del = db.prepareStatement("DELETE FROM tasks WHERE key = ?")) {
      for (String k : deleted) {
        del.setString(1, k);
        del.addBatch();
      }
      del.executeBatch();
      for (Row r : rows) {
        up.setString(1, r.key());
        up.setString(2, r.source());
        up.setString(3, r.sourceKey());
        up.setString(4, r.object());
        up.setString(5, r.specHash());
        up.setLong(6, r.generation());
        up.setLong(7, r.firstSeen());
        if (r.nextRunAt() == null) {
          up.setNull(8, Types.INTEGER);
        } else {
          up.setLong(8, r.nextRunAt());
        }
        up.setLong(9, r.runs());
        up.setLong(10, r.attempts());
        up.setString(11, r.phase());
        up.setString(12, r.lastRun());
        up.setInt(13, r.done() ? 1 : 0);
        up.addBatch();
      }
      up.executeBatch();
      db.commit();
    } catch (SQLException e) {
      db.rollback();
      throw e;
    } finally {
      db.setAutoCommit(true);
    }
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}

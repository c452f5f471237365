package dev.nodepulse.sampler;

import dev.nodepulse.util.StorageErrors;
import java.io.IOException;
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
import java.util.List;

/**
 * The history points in SQLite ({@code <dataDir>/history.db}, WAL). Blocking and not thread-safe:
 * used from one worker thread only. A write that fails because the disk is full throws {@link DiskFull}
 * and leaves the store usable: the same write succeeds once there is space again.
 */
final class HistoryStore implements AutoCloseable {
  static final String FILE = "history.db";

  /** Less usable space than this on the data dir's file system counts as full (a few SQLite pages). */
  private static final long LOW_SPACE_BYTES = 256 * 1024;

  /** A write failed because the file system (or the database's size cap) is full; says so with the path. */
  static class DiskFull extends SQLException {
    DiskFull(Path db, SQLException cause) {
      this("disk full: cannot write the history to " + db, cause);
    }

    private DiskFull(String message, SQLException cause) {
      super(message, cause.getSQLState(), cause.getErrorCode(), cause);
    }
  }

  /**
   * A write failed because another process holds the database's lock: passes, as a full disk does, so it is
   * handled as one (points kept in memory, written again at the next flush), not as a broken store.
   */
  static final class Locked extends DiskFull {
    Locked(Path db, SQLException cause) {
      super("locked by another process: cannot write the history to " + db, cause);
    }
  }

  /** How long a write waits for another process's lock (SQLite's driver waits 3 s): the next flush tries again. */
  private static final int BUSY_TIMEOUT_MS = 200;

  private final Connection conn;
  private final Path db;

  private HistoryStore(Connection conn, Path db) {
    this.conn = conn;
    this.db = db;
  }

  /** Opens (creating if needed) the store; fails with a message naming the path when it cannot. */
  static HistoryStore open(Path dataDir) throws IOException, SQLException {
    if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
      throw new IOException("data dir " + dataDir + " is not a directory");
    }
    Files.createDirectories(dataDir);
    Path db = dataDir.resolve(FILE);
    Connection conn = DriverManager.getConnection("jdbc:sqlite:" + db);
    try {
      try (Statement st = conn.createStatement()) {
        st.execute("PRAGMA busy_timeout=" + BUSY_TIMEOUT_MS);
        try (ResultSet rs = st.executeQuery("PRAGMA journal_mode=WAL")) {
          rs.next();
        }
        st.execute("CREATE TABLE IF NOT EXISTS points (t INTEGER PRIMARY KEY, cpu REAL, avg1m REAL)");
      }
      return new HistoryStore(conn, db);
    } catch (SQLException e) {
      conn.close();
      throw e;
    }
  }

  /** The newest point's time, or null when the store is empty. */
  Long lastT() throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT max(t) FROM points")) {
      rs.next();
      long t = rs.getLong(1);
      return rs.wasNull() ? null : t;
    }
  }

  long count() throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM points")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Writes points in one transaction (a point with the same time is replaced). */
  void write(List<Point> points) throws SQLException {
    if (points.isEmpty()) {
      return;
    }
    conn.setAutoCommit(false);
    SQLException failure = null;
    try (PreparedStatement ps = conn.prepareStatement("INSERT OR REPLACE INTO points (t, cpu, avg1m) VALUES (?, ?, ?)")) {
      for (Point p : points) {
        ps.setLong(1, p.t());
        setDouble(ps, 2, p.cpu());
        setDouble(ps, 3, p.avg1m());
        ps.addBatch();
      }
      ps.executeBatch();
      conn.commit();
    } catch (SQLException e) {
      failure = e;
      try {
        conn.rollback();
      } catch (SQLException alreadyRolledBack) {
        // SQLite rolls a transaction back by itself when the disk is full: the first error is the one to tell
      }
    }
    try {
      conn.setAutoCommit(true);
    } catch (SQLException e) {
      // after SQLite's own rollback this says "no transaction is active": never let it hide the first error
      if (failure == null) {
        failure = e;
      }
    }
    if (failure != null) {
      throw full(failure);
    }
  }

  /** Deletes points older than {@code t}. */
  void trimBefore(long t) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("DELETE FROM points WHERE t < ?")) {
      ps.setLong(1, t);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw full(e);
    }
  }

  /**
   * {@code e} as a {@link DiskFull} when SQLite says the disk is full, or when the file system has (almost) no
   * space left: SQLite may roll back by itself and report only the commit that then finds no transaction; as
   * {@link Locked} when another process holds the lock.
   */
  private SQLException full(SQLException e) {
    if (StorageErrors.diskFull(e)) {
      return new DiskFull(db, e);
    }
    if (StorageErrors.locked(e)) {
      return new Locked(db, e);
    }
    try {
      if (Files.getFileStore(db).getUsableSpace() < LOW_SPACE_BYTES) {
        return new DiskFull(db, e);
      }
    } catch (IOException unknown) {
      // no figure for the space: the error is told as it came
    }
    return e;
  }

  /** How many points are at or after {@code t}. */
  long countSince(long t) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM points WHERE t >= ?")) {
      ps.setLong(1, t);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** Points at or after {@code t}, oldest first. */
  List<Point> since(long t) throws SQLException {
    List<Point> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT t, cpu, avg1m FROM points WHERE t >= ? ORDER BY t")) {
      ps.setLong(1, t);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Point(rs.getLong(1), getDouble(rs, 2), getDouble(rs, 3)));
        }
      }
    }
    return out;
  }

  /**
   * Points at or after {@code t} averaged over steps of {@code stepMs} counted from {@code t} (see {@link Downsample}),
   * oldest first; the database does the averaging, so a long window never comes into the heap point by point.
   */
  List<Point> since(long t, long stepMs) throws SQLException {
    List<Point> out = new ArrayList<>();
    String sql = "SELECT min(t), count(*) - count(cpu), count(cpu), total(cpu), count(avg1m), total(avg1m)"
        + " FROM points WHERE t >= ? GROUP BY (t - ?) / ? ORDER BY 1";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setLong(1, t);
      ps.setLong(2, t);
      ps.setLong(3, stepMs);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Downsample.of(rs.getLong(1), rs.getLong(2) > 0, rs.getInt(3), rs.getDouble(4), rs.getInt(5),
              rs.getDouble(6)));
        }
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    conn.close();
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.REAL);
    } else {
      ps.setDouble(i, v);
    }
  }

  private static Double getDouble(ResultSet rs, int i) throws SQLException {
    double v = rs.getDouble(i);
    return rs.wasNull() ? null : v;
  }
}

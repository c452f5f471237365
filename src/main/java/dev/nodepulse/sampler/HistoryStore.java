package dev.nodepulse.sampler;

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
 * used from one worker thread only.
 */
final class HistoryStore implements AutoCloseable {
  static final String FILE = "history.db";

  private final Connection conn;

  private HistoryStore(Connection conn) {
    this.conn = conn;
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
        try (ResultSet rs = st.executeQuery("PRAGMA journal_mode=WAL")) {
          rs.next();
        }
        st.execute("CREATE TABLE IF NOT EXISTS points (t INTEGER PRIMARY KEY, cpu REAL, avg1m REAL)");
      }
      return new HistoryStore(conn);
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
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
  }

  /** Deletes points older than {@code t}. */
  void trimBefore(long t) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("DELETE FROM points WHERE t < ?")) {
      ps.setLong(1, t);
      ps.executeUpdate();
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

package dev.nodepulse.util;

import java.sql.SQLException;

/**
 * What a storage error means, for the SQLite stores (the history, tasks.db) and the files beside them: the
 * SQLite result code where the driver sets it, else the code's name or SQLite's words in the message (the
 * driver reports some failures, a commit among them, as a plain SQLException without a code), and ENOSPC
 * from file I/O, which Java reports only as text.
 */
public final class StorageErrors {
  /** SQLite's primary result codes (the low byte of an extended code). */
  private static final int SQLITE_BUSY = 5;
  private static final int SQLITE_LOCKED = 6;
  private static final int SQLITE_FULL = 13;

  private StorageErrors() {}

  /** Whether {@code err} or one of its causes says the disk (or the database's size cap) is full. */
  public static boolean diskFull(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (code(t) == SQLITE_FULL || m.contains("SQLITE_FULL") || m.contains("database or disk is full")
          || m.contains("No space left")) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code err} or one of its causes says another connection holds the database's lock. */
  public static boolean locked(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      int code = code(t);
      if (code == SQLITE_BUSY || code == SQLITE_LOCKED || m.contains("SQLITE_BUSY") || m.contains("SQLITE_LOCKED")
          || m.contains("database is locked")) {
        return true;
      }
    }
    return false;
  }

  private static int code(Throwable t) {
    return t instanceof SQLException s ? s.getErrorCode() & 0xFF : -1;
  }
}

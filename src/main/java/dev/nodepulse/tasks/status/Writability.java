package dev.nodepulse.tasks.status;

import dev.nodepulse.util.StorageErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether tasks.db can be written now, why not (in words, with the path), and who waits for it to be writable
 * again; besides, a warning from start-up (a damaged tasks.db set aside). A reason is logged when it starts or
 * changes, then at most every 5 minutes while it lasts. Changed on the store's event loop only.
 */
final class Writability {
  private static final Logger LOG = LoggerFactory.getLogger(Writability.class);
  private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(5);

  private final Path file;
  private final List<Promise<Void>> waiting = new ArrayList<>();
  private volatile String lastError;
  private volatile String warning;
  /** When the reason was last logged (System.nanoTime: an interval, not a time of day). */
  private long loggedAt;

  Writability(Path file) {
    this.file = file;
  }

  /** True when state cannot be written now (read-only, locked, full, unusable). */
  boolean failing() {
    return lastError != null;
  }

  /** Why state cannot be written, if so; else the warning from start-up, if any. */
  String lastError() {
    return lastError != null ? lastError : warning;
  }

  /** Said from start-up until the agent restarts, while nothing worse is to be said. */
  void warn(String warning) {
    this.warning = warning;
  }

  /** tasks.db could not be opened for writing at start, and its {@code rows} stored tasks were read read-only. */
  void readOnly(String why, int rows) {
    lastError = cannotWrite(why) + " (its " + rows + " stored tasks were read)";
    LOG.warn(lastError);
    loggedAt = System.nanoTime();
  }

  /** tasks.db can be neither written nor read: nothing may run, and it is not tried again. */
  void unusable(String why) {
    lastError = "tasks.db cannot be read or written (" + why + "): what it holds is unknown, "
        + "so no task runs until it can be used and the agent is restarted";
    LOG.error(lastError);
  }

  /** A write failed: the reason is kept (and logged, at most every 5 minutes while it stays the same). */
  void failed(Throwable err) {
    String e = cannotWrite(describe(err, file));
    boolean same = lastError != null && lastError.startsWith(e);
    if (!same) {
      lastError = e;
    }
    long now = System.nanoTime();
    if (!same || now - loggedAt >= LOG_EVERY_NANOS) {
      loggedAt = now;
      LOG.warn("{} (said again at most every 5 minutes while it lasts)", lastError);
    }
  }

  /** A write succeeded: the store is writable (again), and those waiting for it go on. */
  void written() {
    if (lastError == null) {
      return;
    }
    LOG.info("tasks.db is written again: {}", file);
    lastError = null;
    List<Promise<Void>> now = new ArrayList<>(waiting);
    waiting.clear();
    now.forEach(Promise::tryComplete);
  }

  /** Completes when the store can be written (at once if it can). Never fails. */
  Future<Void> writable() {
    if (!failing()) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiting.add(p);
    return p.future();
  }

  private static String cannotWrite(String why) {
    return "cannot write tasks.db: " + why + "; runs are held until it can be written (tried again every second)";
  }

  /**
   * A storage error in words: "disk full: <path>" (SQLITE_FULL, ENOSPC), "locked by another process: <path>"
   * (SQLITE_BUSY), "read-only: <path>" (a read-only file system or file), else the error's kind.
   */
  static String describe(Throwable err, Path path) {
    if (StorageErrors.diskFull(err)) {
      return "disk full: " + path;
    }
    if (StorageErrors.locked(err)) {
      return "locked by another process: " + path;
    }
    for (Throwable t = err; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("Read-only file system") || m.contains("SQLITE_READONLY")) {
        return "read-only: " + path;
      }
      if (m.contains("SQLITE_CANTOPEN")) {
        return (Files.isWritable(path.getParent()) ? "cannot open: " : "read-only: ") + path;
      }
      if (t instanceof FileAlreadyExistsException || m.contains("Not a directory")) {
        return "not a directory: " + path.getParent();
      }
      if (m.contains("Permission denied") || t instanceof AccessDeniedException) {
        return "permission denied: " + path;
      }
      if (m.contains("SQLITE_CORRUPT") || m.contains("SQLITE_NOTADB")) {
        return "not a usable SQLite database: " + path;
      }
    }
    return "cannot use " + path;
  }
}

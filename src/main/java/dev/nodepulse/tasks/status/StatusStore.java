package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.util.Sha256;
import dev.nodepulse.util.StorageErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's disk: task state and run history in {@code <dataDir>/tasks.db}, the latest run's whole output
 * of each task in {@code <dataDir>/task-output/}. All blocking work runs on one worker, in order.
 *
 * <ul>
 *   <li>State: the scheduler marks keys dirty; their rows (from {@link #rows}) are written every 200 ms.
 *       {@link #writeNow} writes one row at once (a run is recorded as started before its target is called).</li>
 *   <li>History: {@link #history()} is a {@link StatusSink} that keeps the last {@code keep} runs of each task
 *       and the latest run's output (at most {@link #MAX_OUTPUT} bytes; a cut is stated at its end).</li>
 *   <li>Durable answers: {@link #commit} completes once what is pending is committed (fsync'd, see
 *       {@link TaskStore#open}); the REST answers and a run's start wait for it.</li>
 *   <li>Not writable (read-only, locked by another process, full): {@link #failing()} says why, {@link #commit}
 *       fails at once without waiting, and the stored rows are read read-only when they can be. The store tries
 *       again every second and {@link #writable()} completes when a write succeeds: the runs that waited for it
 *       (held) go on. A tasks.db that cannot even be read is not tried again until the agent restarts (what it
 *       holds is unknown, so nothing may run).</li>
 *   <li>Damage: a tasks.db
 *       found damaged at start-up (empty, truncated, not SQLite, failing SQLite's quick check) is kept aside as
 *       {@code tasks.db.corrupt-<time>}, a fresh one is started and this is said (the log, once, and
 *       {@link #lastError()}); a full disk is reported as {@code disk full: <path>}, logged once and then at
 *       most every 5 minutes, and writing resumes by itself when space comes back.</li>
 * </ul>
 */
public final class StatusStore {
  public static final int MAX_OUTPUT = 2 * 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(StatusStore.class);
  private static final long FLUSH_EVERY_MS = 200;
  private static final long LOG_EVERY_MS = 5 * 60_000;
  /** While the store cannot be written, how often it tries again. */
  private static final long RETRY_EVERY_MS = 1000;
  /** Runs recorded while the store cannot be written, kept to write later; older ones beyond this are dropped. */
  private static final int MAX_PENDING_RUNS = 10_000;

  private final Vertx vertx;
  private final Path file;
  private final Path outputDir;
  private final WorkerExecutor worker;
  private final int keep;
  private TaskStore db;
  /** When not writable: whether the stored rows were read (or there were none), so opening it later is safe. */
  private boolean reopenable;
  private Function<String, Optional<TaskRow>> rows = k -> Optional.empty();
  private Supplier<Collection<String>> keys = List::of;
  private final Set<String> dirty = new LinkedHashSet<>();
  private final Set<String> deleted = new LinkedHashSet<>();
  private final List<Map.Entry<String, TaskStore.Run>> runs = new ArrayList<>();
  private boolean flushing;
  /** The commit asked for while no write was in flight, or during one: it starts when the worker is free. */
  private Promise<Void> soon;
  /** Waiting for the store to be writable again. */
  private final List<Promise<Void>> whenWritable = new ArrayList<>();
  private long triedAt;
  /** The last write handed to the worker (writes run in order there). */
  private Future<Void> last = Future.succeededFuture();
  private long timer = -1;
  private volatile String lastError;
  private volatile String warning;
  private long loggedAt = Long.MIN_VALUE;

  private StatusStore(Vertx vertx, Path dataDir, int keep) {
    this.vertx = vertx;
    this.keep = keep;
    this.file = dataDir.resolve("tasks.db");
    this.outputDir = dataDir.resolve("task-output");
    this.worker = vertx.createSharedWorkerExecutor("nodepulse-tasks-db-" + System.identityHashCode(this), 1);
  }

  /**
   * Opens the store and loads the stored rows. Never fails: a tasks.db that cannot be written is read read-only
   * (the store is then {@link #failing()} and tries again every second); one that cannot be read either gives
   * no rows and a store that stays failing. {@link #lastError()} says why.
   */
  public static Future<Map.Entry<StatusStore, List<TaskRow>>> open(Vertx vertx, Path dataDir, int keep) {
    StatusStore s = new StatusStore(vertx, dataDir, keep);
    return s.worker.executeBlocking(() -> {
      String damage = damage(s.file);
      if (damage != null) {
        Path aside = s.setAside();
        s.warning = s.file + " was damaged (" + damage + ") when the agent started: it is kept as " + aside
            + " and a fresh one was started. Lost: the tasks declared through the REST API, every task's run "
            + "history and state (tasks from files and DelayedTasks are read again from their sources; one-shot "
            + "tasks that had already run may run again)";
        LOG.error(s.warning);
      }
      try {
        TaskStore db = TaskStore.open(s.file);
        return new Opened(db, db.loadAll(), null);
      } catch (SQLException | RuntimeException e) {
        String why = describe(e, s.file);
        List<TaskRow> rows = TaskStore.readOnly(s.file); // what is stored still holds: finished one-shots stay done
        return new Opened(null, rows, why);
      }
    }).map(opened -> {
      s.db = opened.db();
      if (opened.why() != null) {
        s.reopenable = true;
        s.lastError = cannotWrite(opened.why()) + " (its " + opened.rows().size() + " stored tasks were read)";
        LOG.warn(s.lastError);
        s.loggedAt = System.currentTimeMillis();
      }
      s.timer = vertx.setPeriodic(FLUSH_EVERY_MS, id -> s.flush());
      return Map.entry(s, opened.rows());
    }).recover(err -> {
      s.lastError = "tasks.db cannot be read or written (" + describe(err, s.file) + "): what it holds is unknown, "
          + "so no task runs until it can be used and the agent is restarted";
      LOG.error(s.lastError);
      return Future.succeededFuture(Map.entry(s, List.of()));
    });
  }

  private record Opened(TaskStore db, List<TaskRow> rows, String why) {}

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
   * {@code -wal} suffix, so the two open together), and removes its shared-memory index.
   */
  private Path setAside() throws IOException {
    String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
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

  /**
   * Where the rows to write come from (the scheduler's table; empty: the key is not written), and every key
   * there is (all written when a store that could not be written becomes writable).
   */
  public void rows(Function<String, Optional<TaskRow>> rows, Supplier<Collection<String>> keys) {
    this.rows = rows;
    this.keys = keys;
  }

  public void dirty(String key) {
    dirty.add(key);
  }

  /** The task's row and run history are deleted at the next write. */
  public void delete(String key) {
    dirty.remove(key);
    deleted.add(key);
  }

  /** Marks the row dirty and {@link #commit commits}. */
  public Future<Void> writeNow(String key) {
    dirty.add(key);
    return commit();
  }

  /**
   * Writes what is pending now; completes when it is committed (fsync'd), or fails. Calls made in the same
   * event-loop turn, or while a write is in flight, share the next transaction (many runs starting at once
   * cost one commit, and none waits behind another's). While the store cannot be written it fails at once,
   * without waiting for a lock: see {@link #writable()}.
   */
  public Future<Void> commit() {
    if (failing()) {
      return Future.failedFuture(new IllegalStateException(lastError));
    }
    Promise<Void> p = soon;
    if (p == null) {
      p = Promise.promise();
      soon = p;
      if (!flushing) {
        vertx.getOrCreateContext().runOnContext(v -> startSoon());
      }
    }
    return p.future();
  }

  private void startSoon() {
    Promise<Void> p = soon;
    if (p == null || flushing) {
      return; // started already, or starts when the write in flight ends
    }
    soon = null;
    write().onComplete(p);
  }

  /**
   * Completes when the store can be written (at once if it can): after a write succeeded again. Never fails;
   * never completes for a tasks.db that could not even be read.
   */
  public Future<Void> writable() {
    if (!failing()) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    whenWritable.add(p);
    return p.future();
  }

  /** Why the store cannot keep state, if so; else a warning from start-up (tasks.db found damaged), if any. */
  public String lastError() {
    return lastError != null ? lastError : warning;
  }

  /** True when state cannot be written now (read-only, locked, full, unusable): runs are held. */
  public boolean failing() {
    return lastError != null;
  }

  private void flush() {
    if (flushing) {
      return;
    }
    if (failing()) {
      long now = System.currentTimeMillis();
      if (now - triedAt < RETRY_EVERY_MS || (db == null && !reopenable)) {
        return;
      }
      triedAt = now;
      if (db == null) {
        reopen();
      } else {
        write(); // also when nothing is pending: it finds out whether the store can be written again
      }
    } else if (!dirty.isEmpty() || !deleted.isEmpty() || !runs.isEmpty()) {
      write();
    }
  }

  /** A tasks.db that could not be written at start: opened for writing when it can be, then every row written. */
  private void reopen() {
    flushing = true;
    worker.executeBlocking(() -> TaskStore.open(file)).onComplete(ar -> {
      flushing = false;
      if (ar.failed()) {
        failed(ar.cause());
        return;
      }
      db = ar.result();
      reopenable = false;
      dirty.addAll(keys.get());
      write();
    });
  }

  private Future<Void> write() {
    List<TaskRow> rowsNow = new ArrayList<>();
    for (String k : dirty) {
      rows.apply(k).ifPresent(rowsNow::add);
    }
    dirty.clear();
    List<String> gone = new ArrayList<>(deleted);
    deleted.clear();
    List<Map.Entry<String, TaskStore.Run>> newRuns = new ArrayList<>(runs);
    runs.clear();
    flushing = true;
    last = worker.executeBlocking(() -> {
      db.write(rowsNow, gone, newRuns, this::keepOf);
      return null;
    }).<Void>mapEmpty().onComplete(ar -> {
      flushing = false;
      if (ar.failed()) {
        failed(ar.cause());
        // not written: try again at the next flush (what changed meanwhile is already marked)
        rowsNow.forEach(r -> dirty.add(r.key()));
        gone.forEach(k -> {
          if (!dirty.contains(k)) {
            deleted.add(k);
          }
        });
        runs.addAll(0, newRuns);
        while (runs.size() > MAX_PENDING_RUNS) {
          runs.remove(0);
        }
        Promise<Void> next = soon;
        soon = null;
        if (next != null) {
          next.fail(ar.cause()); // it would wait for the same lock: its callers hold what they wanted to write
        }
      } else {
        if (lastError != null) {
          LOG.info("tasks.db is written again: {}", file);
          lastError = null;
          List<Promise<Void>> waiting = new ArrayList<>(whenWritable);
          whenWritable.clear();
          waiting.forEach(Promise::tryComplete);
        }
        startSoon();
      }
    });
    return last;
  }

  private static String cannotWrite(String why) {
    return "cannot write tasks.db: " + why + "; runs are held until it can be written (tried again every second)";
  }

  private void failed(Throwable err) {
    String e = cannotWrite(describe(err, file));
    boolean same = lastError != null && lastError.startsWith(e);
    if (!same) {
      lastError = e;
    }
    long now = System.currentTimeMillis();
    if (!same || now - loggedAt >= LOG_EVERY_MS) {
      loggedAt = now;
      LOG.warn("{} (said again at most every 5 minutes while it lasts)", lastError);
    }
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
      if (t instanceof java.nio.file.FileAlreadyExistsException || m.contains("Not a directory")) {
        return "not a directory: " + path.getParent();
      }
      if (m.contains("Permission denied") || t instanceof java.nio.file.AccessDeniedException) {
        return "permission denied: " + path;
      }
      if (m.contains("SQLITE_CORRUPT") || m.contains("SQLITE_NOTADB")) {
        return "not a usable SQLite database: " + path;
      }
    }
    return "cannot use " + path;
  }

  // ------------------------------------------------------------------ history

  /** Runs kept per task by its spec.history (read on the worker): the store's default for tasks not in it. */
  private final Map<String, Integer> keeps = new java.util.concurrent.ConcurrentHashMap<>();

  /** How many runs of the task {@code key} are kept (its spec.history); null: the store's default. */
  public void keep(String key, Integer runs) {
    if (runs == null) {
      keeps.remove(key);
    } else {
      keeps.put(key, runs);
    }
  }

  private int keepOf(String key) {
    return keeps.getOrDefault(key, keep);
  }

  /** The run-history sink: the last runs of each task in tasks.db, the latest run's output in a file. */
  public StatusSink history() {
    return new StatusSink() {
      @Override
      public void changed(TaskChange change) {}

      @Override
      public void attempted(RunRecord r) {
        if (db == null && !reopenable) {
          return;
        }
        RunResult res = r.result();
        runs.add(Map.entry(r.key(), new TaskStore.Run(ms(r.dueAt()), ms(r.startedAt()), ms(r.finishedAt()),
            r.durationMs(), r.node(), res.outcome().name(), res.error(), res.result(), res.bytes(),
            res.httpStatus())));
        String output = res.output();
        Path f = outputFile(r.key());
        worker.executeBlocking(() -> {
          writeOutput(f, output);
          return null;
        }).onFailure(err -> failed(err));
      }

      @Override
      public void forget(String key) {
        Path f = outputFile(key);
        worker.executeBlocking(() -> Files.deleteIfExists(f));
      }
    };
  }

  private static Long ms(Instant i) {
    return i == null ? null : i.toEpochMilli();
  }

  private void writeOutput(Path f, String output) throws IOException {
    if (output == null) {
      Files.deleteIfExists(f); // the latest run has no output
      return;
    }
    byte[] bytes = output.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_OUTPUT) {
      byte[] cut = ("\n[output cut: its first " + MAX_OUTPUT + " of " + bytes.length + " bytes are kept]\n")
          .getBytes(StandardCharsets.UTF_8);
      byte[] kept = new byte[MAX_OUTPUT + cut.length];
      System.arraycopy(bytes, 0, kept, 0, MAX_OUTPUT);
      System.arraycopy(cut, 0, kept, MAX_OUTPUT, cut.length);
      bytes = kept;
    }
    Files.createDirectories(outputDir);
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    try {
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private Path outputFile(String key) {
    return outputDir.resolve(Sha256.hex(key, 16) + ".txt");
  }

  /** The task's last runs, newest first, as {@code {"items": [...]}} (DESIGN's field names). */
  public Future<JsonObject> runs(String key) {
    if (db == null) {
      return Future.succeededFuture(new JsonObject().put("items", new JsonArray()));
    }
    if (!flushing && !failing() && (!runs.isEmpty() || !deleted.isEmpty() || !dirty.isEmpty())) {
      write(); // what has just happened is in the answer (the worker runs the write before the query)
    }
    int limit = keepOf(key);
    return worker.executeBlocking(() -> db.runs(key, limit)).map(list -> {
      JsonArray items = new JsonArray();
      for (TaskStore.Run r : list) {
        JsonObject o = new JsonObject();
        putTime(o, "dueAt", r.dueAt());
        putTime(o, "startedAt", r.startedAt());
        putTime(o, "finishedAt", r.finishedAt());
        o.put("durationMs", r.durationMs()).put("node", r.node()).put("outcome", r.outcome());
        if (r.httpStatus() != null) {
          o.put("httpStatus", r.httpStatus());
        }
        o.put("error", r.error()).put("result", r.result()).put("bytes", r.bytes());
        items.add(o);
      }
      return new JsonObject().put("items", items);
    });
  }

  private static void putTime(JsonObject o, String field, Long ms) {
    o.put(field, ms == null ? null : Instant.ofEpochMilli(ms).toString());
  }

  /** The latest run's whole output, or null when it has none. */
  public Future<String> output(String key) {
    Path f = outputFile(key);
    return worker.executeBlocking(() -> {
      try {
        return Files.readString(f, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        return null;
      }
    });
  }

  /** Writes what is pending and closes. */
  public Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (db == null) {
      return worker.close();
    }
    return last.otherwiseEmpty().compose(v -> write()).otherwiseEmpty().compose(v -> worker.executeBlocking(() -> {
      db.close();
      return null;
    })).<Void>mapEmpty().eventually(worker::close);
  }
}

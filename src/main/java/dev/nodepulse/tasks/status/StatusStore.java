package dev.nodepulse.tasks.status;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The pipeline's disk, {@code <dataDir>/tasks.db}, written behind: the scheduler marks task keys dirty and their
 * rows (from {@link #rows}) are written every 200 ms, with the runs the {@link #history() run history} appended
 * meanwhile, in one transaction. All blocking work runs on one worker, in order.
 *
 * <ul>
 *   <li>Durable answers: {@link #commit} completes once what is pending is committed (fsync'd, see
 *       {@link TaskStore#open}); the REST answers and a run's start ({@link #writeNow}) wait for it.</li>
 *   <li>Not writable (read-only, locked by another process, full): {@link #failing()} says why, {@link #commit}
 *       fails at once without waiting, and what is pending is kept. The store tries again every second and
 *       {@link #writable()} completes when a write succeeds: the runs that waited for it (held) go on. A tasks.db
 *       that cannot even be read is not tried again until the agent restarts (what it holds is unknown, so
 *       nothing may run).</li>
 *   <li>Opening it (a damaged tasks.db set aside, a read-only one read): {@link TasksDbRecovery}.</li>
 * </ul>
 */
public final class StatusStore {
  private static final long FLUSH_EVERY_MS = 200;
  /** While the store cannot be written, how often it tries again. */
  private static final long RETRY_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Runs recorded while the store cannot be written, kept to write later; older ones beyond this are dropped. */
  private static final int MAX_PENDING_RUNS = 10_000;

  private final Vertx vertx;
  private final Path file;
  private final WorkerExecutor worker;
  private final int keep;
  private final Writability writability;
  private final RunHistory history;
  private TaskStore db;
  /** When not writable: whether the stored rows were read (or there were none), so opening it later is safe. */
  private boolean reopenable;
  private Function<String, Optional<TaskRow>> rows = k -> Optional.empty();
  private Supplier<Collection<String>> keys = List::of;
  private final Set<String> dirty = new LinkedHashSet<>();
  private final Set<String> deleted = new LinkedHashSet<>();
  private final List<Map.Entry<String, TaskStore.Run>> runs = new ArrayList<>();
  /** Runs kept per task by its spec.history (read on the worker): the store's default for tasks not in it. */
  private final Map<String, Integer> keeps = new ConcurrentHashMap<>();
  private boolean flushing;
  /** The commit asked for while no write was in flight, or during one: it starts when the worker is free. */
  private Promise<Void> soon;
  /** When the store last tried to write while failing (System.nanoTime). */
  private long triedAt;
  /** The last write handed to the worker (writes run in order there). */
  private Future<Void> last = Future.succeededFuture();
  private long timer = -1;

  private StatusStore(Vertx vertx, Path dataDir, int keep) {
    this.vertx = vertx;
    this.keep = keep;
    this.file = dataDir.resolve("tasks.db");
    this.writability = new Writability(file);
    this.history = new RunHistory(this, new RunOutputs(dataDir.resolve("task-output")));
    this.worker = vertx.createSharedWorkerExecutor("nodepulse-tasks-db-" + System.identityHashCode(this), 1);
    this.triedAt = System.nanoTime() - RETRY_EVERY_NANOS;
  }

  /**
   * Opens the store and loads the stored rows. Never fails: a tasks.db that cannot be written is read read-only
   * (the store is then {@link #failing()} and tries again every second); one that cannot be read either gives
   * no rows and a store that stays failing. {@link #lastError()} says why.
   */
  public static Future<Map.Entry<StatusStore, List<TaskRow>>> open(Vertx vertx, Path dataDir, int keep) {
    StatusStore s = new StatusStore(vertx, dataDir, keep);
    return s.worker.executeBlocking(() -> TasksDbRecovery.open(s.file)).map(opened -> {
      s.writability.warn(opened.warning());
      s.db = opened.db();
      if (opened.why() != null) {
        s.reopenable = true;
        s.writability.readOnly(opened.why(), opened.rows().size());
      }
      s.timer = vertx.setPeriodic(FLUSH_EVERY_MS, id -> s.flush());
      return Map.entry(s, opened.rows());
    }).recover(err -> {
      s.writability.unusable(Writability.describe(err, s.file));
      return Future.succeededFuture(Map.entry(s, List.of()));
    });
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

  /** How many runs of the task {@code key} are kept (its spec.history); null: the store's default. */
  public void keep(String key, Integer runs) {
    if (runs == null) {
      keeps.remove(key);
    } else {
      keeps.put(key, runs);
    }
  }

  /** The run-history sink, and the answers that read the runs and the latest output back. */
  public RunHistory history() {
    return history;
  }

  /**
   * Writes what is pending now; completes when it is committed (fsync'd), or fails. Calls made in the same
   * event-loop turn, or while a write is in flight, share the next transaction (many runs starting at once
   * cost one commit, and none waits behind another's). While the store cannot be written it fails at once,
   * without waiting for a lock: see {@link #writable()}.
   */
  public Future<Void> commit() {
    if (failing()) {
      return Future.failedFuture(new IllegalStateException(writability.lastError()));
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
    return writability.writable();
  }

  /** Why the store cannot keep state, if so; else a warning from start-up (tasks.db found damaged), if any. */
  public String lastError() {
    return writability.lastError();
  }

  /** True when state cannot be written now (read-only, locked, full, unusable): runs are held. */
  public boolean failing() {
    return writability.failing();
  }

  // ------------------------------------------------------------------ for the run history

  /** Whether runs are recorded: not when tasks.db could be neither written nor read. */
  boolean keepsRuns() {
    return db != null || reopenable;
  }

  /** The run is appended to the task's history at the next write (the oldest beyond its keep are dropped). */
  void append(String key, TaskStore.Run run) {
    runs.add(Map.entry(key, run));
  }

  /** Blocking work on the store's worker, after the writes handed to it before. */
  <T> Future<T> onWorker(Callable<T> work) {
    return worker.executeBlocking(work);
  }

  /** Storage failed (a write of the history's): said as the store's error until a write succeeds. */
  void failed(Throwable err) {
    writability.failed(err);
  }

  /** The task's last runs, newest first, what is pending included; none when tasks.db is not open. */
  Future<List<TaskStore.Run>> runs(String key) {
    if (db == null) {
      return Future.succeededFuture(List.of());
    }
    if (!flushing && !failing() && (!runs.isEmpty() || !deleted.isEmpty() || !dirty.isEmpty())) {
      write(); // what has just happened is in the answer (the worker runs the write before the query)
    }
    int limit = keepOf(key);
    TaskStore opened = db;
    return worker.executeBlocking(() -> opened.runs(key, limit));
  }

  private int keepOf(String key) {
    return keeps.getOrDefault(key, keep);
  }

  // ------------------------------------------------------------------ writing

  private void flush() {
    if (flushing) {
      return;
    }
    if (failing()) {
      long now = System.nanoTime();
      if (now - triedAt < RETRY_EVERY_NANOS || (db == null && !reopenable)) {
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
        writability.failed(ar.cause());
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
    TaskStore opened = db;
    last = worker.executeBlocking(() -> {
      opened.write(rowsNow, gone, newRuns, this::keepOf);
      return null;
    }).<Void>mapEmpty().onComplete(ar -> {
      flushing = false;
      if (ar.failed()) {
        writability.failed(ar.cause());
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
        writability.written();
        startSoon();
      }
    });
    return last;
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

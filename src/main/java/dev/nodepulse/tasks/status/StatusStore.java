package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.RunResult;
import io.vertx.core.Future;
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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
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
 *   <li>Faults: an unusable tasks.db leaves the pipeline running unpersisted ({@link #lastError()}); a tasks.db
 *       found empty (truncated) is said; a full disk is reported as {@code disk full: <path>}, logged once and
 *       then at most every 5 minutes, and writing resumes by itself when space comes back.</li>
 * </ul>
 */
public final class StatusStore {
  public static final int MAX_OUTPUT = 2 * 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(StatusStore.class);
  private static final long FLUSH_EVERY_MS = 200;
  private static final long LOG_EVERY_MS = 5 * 60_000;

  private final Vertx vertx;
  private final Path file;
  private final Path outputDir;
  private final WorkerExecutor worker;
  private TaskStore db;
  private Function<String, Optional<TaskRow>> rows = k -> Optional.empty();
  private final Set<String> dirty = new LinkedHashSet<>();
  private final Set<String> deleted = new LinkedHashSet<>();
  private final List<Map.Entry<String, TaskStore.Run>> runs = new ArrayList<>();
  private boolean flushing;
  private long timer = -1;
  private volatile String lastError;
  private volatile String warning;
  private long loggedAt = Long.MIN_VALUE;

  private StatusStore(Vertx vertx, Path dataDir) {
    this.vertx = vertx;
    this.file = dataDir.resolve("tasks.db");
    this.outputDir = dataDir.resolve("task-output");
    this.worker = vertx.createSharedWorkerExecutor("nodepulse-tasks-db-" + System.identityHashCode(this), 1);
  }

  /**
   * Opens the store and loads the stored rows. Never fails: an unusable data dir gives a store that keeps
   * nothing and says why in {@link #lastError()}.
   */
  public static Future<Map.Entry<StatusStore, List<TaskRow>>> open(Vertx vertx, Path dataDir, int keep) {
    StatusStore s = new StatusStore(vertx, dataDir);
    return s.worker.executeBlocking(() -> {
      boolean truncated = Files.isRegularFile(s.file) && Files.size(s.file) == 0;
      TaskStore db = new TaskStore(s.file, keep);
      if (truncated) {
        s.warning = s.file + " was empty (0 bytes) when the agent started: the stored task state was lost, so "
            + "one-shot tasks that had already run may run again";
        LOG.error(s.warning);
      }
      return Map.entry(db, db.loadAll());
    }).map(loaded -> {
      s.db = loaded.getKey();
      s.timer = vertx.setPeriodic(FLUSH_EVERY_MS, id -> s.flush());
      return Map.entry(s, loaded.getValue());
    }).recover(err -> {
      s.lastError = "tasks.db unusable, task state is not kept across restarts: " + describe(err, s.file);
      LOG.error(s.lastError);
      return Future.succeededFuture(Map.entry(s, List.of()));
    });
  }

  /** Where the rows to write come from (the scheduler's table); empty: the key is not written. */
  public void rows(Function<String, Optional<TaskRow>> rows) {
    this.rows = rows;
  }

  public void dirty(String key) {
    dirty.add(key);
  }

  /** The task's row and run history are deleted at the next write. */
  public void delete(String key) {
    dirty.remove(key);
    deleted.add(key);
  }

  /** Writes this row now (with whatever else is pending); completes when it is committed or failed. */
  public Future<Void> writeNow(String key) {
    if (db == null) {
      return Future.succeededFuture();
    }
    dirty.add(key);
    return write();
  }

  /** Why the store cannot keep state, if so; else a warning from start-up (tasks.db found empty), if any. */
  public String lastError() {
    return lastError != null ? lastError : warning;
  }

  /** True when state is not being kept (an unusable or full store). */
  public boolean failing() {
    return lastError != null;
  }

  private void flush() {
    if (!flushing && (!dirty.isEmpty() || !deleted.isEmpty() || !runs.isEmpty())) {
      write();
    }
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
    return worker.executeBlocking(() -> {
      db.write(rowsNow, gone, newRuns);
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
      } else if (lastError != null) {
        LOG.info("tasks.db is written again: {}", file);
        lastError = null;
      }
    });
  }

  private void failed(Throwable err) {
    String e = "cannot write tasks.db: " + describe(err, file);
    boolean same = e.equals(lastError);
    lastError = e;
    long now = System.currentTimeMillis();
    if (!same || now - loggedAt >= LOG_EVERY_MS) {
      loggedAt = now;
      LOG.warn("{} (said again at most every 5 minutes while it lasts)", e);
    }
  }

  /** A storage error in words: "disk full: <path>" for SQLITE_FULL or ENOSPC, else the error's kind. */
  static String describe(Throwable err, Path path) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("SQLITE_FULL") || m.contains("No space left") || m.contains("database or disk is full")) {
        return "disk full: " + path;
      }
      if (m.contains("SQLITE_READONLY") || m.contains("Permission denied") || t instanceof java.nio.file.AccessDeniedException) {
        return "permission denied: " + path;
      }
      if (m.contains("SQLITE_CORRUPT") || m.contains("SQLITE_NOTADB")) {
        return "not a usable SQLite database: " + path;
      }
    }
    return "cannot use " + path;
  }

  // ------------------------------------------------------------------ history

  /** The run-history sink: the last runs of each task in tasks.db, the latest run's output in a file. */
  public StatusSink history() {
    return new StatusSink() {
      @Override
      public void changed(TaskChange change) {}

      @Override
      public void attempted(RunRecord r) {
        if (db == null) {
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
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return outputDir.resolve(HexFormat.of().formatHex(d, 0, 16) + ".txt");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The task's last runs, newest first, as {@code {"items": [...]}} (DESIGN's field names). */
  public Future<JsonObject> runs(String key) {
    if (db == null) {
      return Future.succeededFuture(new JsonObject().put("items", new JsonArray()));
    }
    flush(); // what has just ended is in the answer
    return worker.executeBlocking(() -> db.runs(key)).map(list -> {
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
    Future<Void> last = flushing ? Future.succeededFuture() : write();
    return last.otherwiseEmpty().compose(v -> worker.executeBlocking(() -> {
      db.close();
      return null;
    })).<Void>mapEmpty().eventually(worker::close);
  }
}

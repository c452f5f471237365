package dev.nodepulse.sampler;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sampler's history: the points of the last {@code --history} in memory and in the SQLite store under
 * {@code --data-dir}, written behind every {@link #FLUSH_EVERY_MS} on a thread of its own (a slow or full disk
 * never delays a sample). A full disk keeps the unwritten points and retries; a store that fails otherwise is
 * closed and the history goes on from memory. Confined to the sampler's event loop, like the verticle that owns it.
 */
final class History {
  static final long FLUSH_EVERY_MS = 5_000;
  private static final Logger log = LoggerFactory.getLogger(History.class);
  /** While the disk stays full, the failure is logged again this often (the first time at once). */
  private static final long DISK_FULL_LOG_EVERY_MS = 10 * 60_000;
  private static final int MAX_MEMORY_POINTS = 200_000;

  /** What the store held at start: its last point's time (null when empty) and the last minute's points. */
  record Restored(Long lastT, List<Point> lastMinute) {}

  private record Opened(HistoryStore store, long count, Restored restored) {}

  private final WorkerExecutor db;
  private final Path dataDir;
  private final Clock clock;
  private final long historyMs;

  private HistoryStore store;
  private String lastError;
  private long storedPoints;
  private final ArrayDeque<Point> memory = new ArrayDeque<>();
  private List<Point> pending = new ArrayList<>();
  private List<Point> inFlight = List.of();
  /** When the history store last logged a full disk; 0 while it writes fine. */
  private long diskFullLoggedAt;

  History(WorkerExecutor db, Path dataDir, Clock clock, long historyMs) {
    this.db = db;
    this.dataDir = dataDir;
    this.clock = clock;
    this.historyMs = historyMs;
  }

  /** Opens the store; when it cannot be, the history is from memory only (said in {@link #lastError}). */
  Future<Restored> open() {
    return db.executeBlocking(() -> {
      HistoryStore s = HistoryStore.open(dataDir);
      try {
        // the last minute's points too, so the one-minute average goes on across a short restart
        return new Opened(s, s.count(), new Restored(s.lastT(), s.since(clock.millis() - OneMinuteAverage.WINDOW_MS)));
      } catch (Exception e) {
        s.close();
        throw e;
      }
    }).map(r -> {
      store = r.store();
      storedPoints = r.count();
      return r.restored();
    }).recover(err -> {
      degrade(err);
      return Future.succeededFuture(new Restored(null, List.of()));
    });
  }

  /** Why the store is not written (unusable, or the disk is full); null while it is. */
  String lastError() {
    return lastError;
  }

  /** Points held: in the store and waiting for it, or in memory when there is no store. */
  long points() {
    return store != null ? storedPoints + pending.size() + inFlight.size() : memory.size();
  }

  void add(Point p) {
    memory.addLast(p);
    long oldest = p.t() - historyMs;
    while (!memory.isEmpty() && (memory.peekFirst().t() < oldest || memory.size() > MAX_MEMORY_POINTS)) {
      memory.removeFirst();
    }
    if (store != null) {
      pending.add(p);
    }
  }

  void flush() {
    if (store == null || !inFlight.isEmpty()) {
      return;
    }
    List<Point> batch = pending;
    pending = new ArrayList<>();
    inFlight = batch;
    HistoryStore s = store;
    long trimBefore = clock.millis() - historyMs;
    db.executeBlocking(() -> {
      s.write(batch);
      s.trimBefore(trimBefore);
      return s.count();
    }).onComplete(ar -> {
      inFlight = List.of();
      if (ar.succeeded()) {
        storedPoints = ar.result();
        if (diskFullLoggedAt != 0) {
          diskFullLoggedAt = 0;
          lastError = null;
          log.info("history: {} has space again; writing the history again", dataDir.resolve(HistoryStore.FILE));
        }
      } else if (store == s && ar.cause() instanceof HistoryStore.DiskFull full) {
        diskFull(full, batch);
      } else if (store == s) {
        degrade(ar.cause());
      }
    });
  }

  /**
   * The disk is full: keep the store and the unwritten points (bounded by the history window, as in memory) and
   * retry at the next flush; say so once, then every {@link #DISK_FULL_LOG_EVERY_MS}.
   */
  private void diskFull(HistoryStore.DiskFull full, List<Point> batch) {
    List<Point> retry = new ArrayList<>(batch);
    retry.addAll(pending);
    long oldest = clock.millis() - historyMs;
    retry.removeIf(p -> p.t() < oldest);
    if (retry.size() > MAX_MEMORY_POINTS) {
      retry = new ArrayList<>(retry.subList(retry.size() - MAX_MEMORY_POINTS, retry.size()));
    }
    pending = retry;
    lastError = full.getMessage();
    long now = clock.millis();
    if (diskFullLoggedAt == 0 || now - diskFullLoggedAt >= DISK_FULL_LOG_EVERY_MS) {
      diskFullLoggedAt = now;
      log.error("history: {}; keeping {} points in memory and retrying every {} s (logged again in {} min if it lasts)",
          lastError, pending.size(), FLUSH_EVERY_MS / 1000, DISK_FULL_LOG_EVERY_MS / 60_000);
    }
  }

  /** The store failed: say so once, close it, and keep going on live figures and memory. */
  void degrade(Throwable err) {
    String msg = err.getMessage() == null ? err.toString() : err.getMessage();
    lastError = "history store unusable (" + dataDir.resolve(HistoryStore.FILE) + "): " + msg;
    log.error("{}; serving live figures, history from memory only", lastError);
    HistoryStore s = store;
    store = null;
    pending = new ArrayList<>();
    if (s != null) {
      closeOn(db, s);
    }
  }

  /**
   * The points of the last {@code windowMs}, oldest first: the store's and those not written yet (memory when the
   * store fails); averaged over equal steps when there are more than {@link Downsample#MAX_POINTS}.
   */
  Future<Downsample.Answer> window(long windowMs) {
    long since = clock.millis() - windowMs;
    if (store == null) {
      return Future.succeededFuture(fromMemory(since, windowMs));
    }
    List<Point> live = new ArrayList<>(inFlight);
    live.addAll(pending);
    HistoryStore s = store;
    return db.executeBlocking(() -> {
      long step = Downsample.stepMs(s.countSince(since) + live.size(), windowMs);
      return new Downsample.Answer(step > 0 ? s.since(since, step) : s.since(since), step);
    }).transform(ar -> {
      if (ar.failed()) {
        if (store == s) {
          degrade(ar.cause());
        }
        return Future.succeededFuture(fromMemory(since, windowMs));
      }
      long step = ar.result().stepMs();
      List<Point> out = new ArrayList<>(ar.result().points());
      long lastStored = out.isEmpty() ? Long.MIN_VALUE : out.get(out.size() - 1).t();
      List<Point> newer = new ArrayList<>();
      for (Point p : live) {
        if (p.t() > lastStored && p.t() >= since) {
          newer.add(p);
        }
      }
      if (step > 0) {
        // a step the store already answered for is not answered twice
        long lastStep = out.isEmpty() ? Long.MIN_VALUE : Downsample.bucket(lastStored, since, step);
        newer.removeIf(p -> Downsample.bucket(p.t(), since, step) <= lastStep);
        newer = Downsample.of(newer, since, step);
      }
      out.addAll(newer);
      return Future.succeededFuture(new Downsample.Answer(out, step));
    });
  }

  private Downsample.Answer fromMemory(long since, long windowMs) {
    List<Point> out = new ArrayList<>();
    for (Point p : memory) {
      if (p.t() >= since) {
        out.add(p);
      }
    }
    long step = Downsample.stepMs(out.size(), windowMs);
    return new Downsample.Answer(step > 0 ? Downsample.of(out, since, step) : out, step);
  }

  /** Closes the store without writing what is pending (the agent did not start). */
  void abandon() {
    if (store != null) {
      closeOn(db, store);
      store = null;
    }
  }

  /** Closes {@code c} on {@code executor}'s thread (where it was used), without waiting. */
  static void closeOn(WorkerExecutor executor, AutoCloseable c) {
    executor.executeBlocking(() -> {
      c.close();
      return null;
    });
  }

  /** Writes what is pending and closes the store. */
  Future<Void> close() {
    if (store == null) {
      return Future.succeededFuture();
    }
    List<Point> unwritten = new ArrayList<>(inFlight);
    unwritten.addAll(pending);
    pending = new ArrayList<>();
    HistoryStore s = store;
    store = null;
    return db.<Void>executeBlocking(() -> {
      try (s) {
        s.write(unwritten);
      }
      return null;
    }).onFailure(err -> log.error("history: could not write the last {} points at stop: {}", unwritten.size(), err.toString()))
        .otherwiseEmpty();
  }
}

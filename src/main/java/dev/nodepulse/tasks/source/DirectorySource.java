package dev.nodepulse.tasks.source;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.source.TaskFiles.FileState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --tasks-dir} source: every {@code *.yaml}, {@code *.yml} and {@code *.json} file holds one
 * DelayedTask, declared with origin FILE (the file's path). This class decides what to read and when; the
 * parts are {@link DirectoryWatch} (the events), {@link TaskFiles} (reading an entry: links, limits, errors) and
 * {@link FileDeclarations} (what is sent to the pipeline: a task, or a Failed task named after its file).
 *
 * <p>The directory is watched: only the files an event names are read again, so the work follows what changes,
 * not how many files the directory holds. Once a second the directory's own modification time is compared (one
 * stat): a change no event told of, a lost watch or an overflow of the event queue makes one full rescan. Where
 * the directory cannot be watched it is rescanned every second (names, sizes, modification times). Links are
 * followed again at every change in the directory (their targets may have changed).
 *
 * <p>A full scan (the first one, an overflow) reads and declares the files in chunks, so the pipeline and the rest
 * of the agent keep going meanwhile; the health body says how far it is ({@code loading}). Health component
 * {@code tasks-dir}.
 */
public final class DirectorySource extends VerticleBase {
  public static final String HEALTH = "nodepulse.health.tasks-dir";
  private static final long RESCAN_MS = 1000;
  /** Files read and declared per step of a full scan. */
  static final int CHUNK = 500;
  /** How long a change of the directory's stamp may stay unexplained by the watcher before a full rescan. */
  private static final long UNEXPLAINED_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final Logger LOG = LoggerFactory.getLogger(DirectorySource.class);

  private final Config config;
  private final long rescanMs;
  private final TaskFiles reader = new TaskFiles();
  private final DirectoryWatch watch = new DirectoryWatch();
  private FileDeclarations declarations;
  /** What was read from each file; by file name, sorted (so a full scan declares in name order). */
  private final TreeMap<String, FileState> files = new TreeMap<>();
  /** Files that are links (or failed as links): followed again at every change. */
  private final Set<String> links = new TreeSet<>();
  /** Entries stat'ed and files parsed, since the start (tests read them: idle work must not follow the count). */
  final AtomicLong examined = reader.examined;
  final AtomicLong parsed = reader.parsed;
  /** Periodic checks made (tests wait for some). */
  final AtomicLong checks = new AtomicLong();
  private boolean scanning;
  private long dirStamp = Long.MIN_VALUE;
  /** When the directory's stamp was first seen changed with no event to explain it (System.nanoTime); 0: not. */
  private long unexplainedSince;
  private int loadDone;
  private int loadOf = -1;
  private volatile boolean ready;
  private volatile String lastError;

  public DirectorySource(Config config) {
    this(config, RESCAN_MS);
  }

  /** For tests: another period for the check (a long one shows that only the watcher saw a file). */
  DirectorySource(Config config, long rescanMs) {
    this.config = config;
    this.rescanMs = rescanMs;
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer(HEALTH, msg -> {
      JsonObject h = new JsonObject().put("enabled", config.tasksDir() != null);
      if (config.tasksDir() == null) {
        msg.reply(h.put("state", "up").put("ready", true));
        return;
      }
      h.put("state", ready ? (lastError == null ? "up" : "degraded") : "starting").put("ready", ready)
          .put("dir", config.tasksDir().toString()).put("files", files.size())
          .put("watching", watch.watching()).put("lastError", lastError);
      if (loadOf >= 0) {
        h.put("loading", new JsonObject().put("files", loadDone).put("of", loadOf));
      }
      msg.reply(h);
    });
    if (config.tasksDir() != null) {
      declarations = new FileDeclarations(new Pipeline(vertx), config.tasksDir(), problem -> {
        lastError = problem;
        watch.wantFull(); // declared again at the next full scan
      });
      watch.start(config.tasksDir(), vertx.getOrCreateContext(), this::work);
      work();
      vertx.setPeriodic(rescanMs, id -> check());
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    watch.stop();
    return Future.succeededFuture();
  }

  /**
   * Every period: without a watcher (or while the directory cannot be read) a full scan; else one stat of the
   * directory, and a full scan only when its modification time moved without an event saying why.
   */
  private void check() {
    checks.incrementAndGet();
    if (!watch.watching() || lastError != null) {
      watch.wantFull();
      work();
      return;
    }
    if (scanning || watch.pending()) {
      return;
    }
    long seen = dirStamp;
    vertx.executeBlocking(() -> stampOf(config.tasksDir()), false).onSuccess(stamp -> {
      if (stamp == seen || seen != dirStamp || scanning || watch.hasChanged()) {
        unexplainedSince = 0;
        return;
      }
      // a change no event has told of yet: the watcher's events can lag on a busy machine, so they are given
      // UNEXPLAINED_NANOS to come before the whole directory is read again
      long now = System.nanoTime();
      if (unexplainedSince == 0) {
        unexplainedSince = now;
      } else if (now - unexplainedSince >= UNEXPLAINED_NANOS) {
        unexplainedSince = 0;
        watch.wantFull();
        work();
      }
    }).onFailure(err -> {
      watch.wantFull();
      work();
    });
  }

  private static long stampOf(Path dir) throws IOException {
    return Files.readAttributes(dir, BasicFileAttributes.class).lastModifiedTime().to(TimeUnit.NANOSECONDS);
  }

  /** Reads what is wanted: a full scan, else the files the watcher named (and the links); one at a time. */
  private void work() {
    if (scanning) {
      return; // the scan under way calls again when it ends
    }
    boolean full = watch.takeFull();
    Set<String> names = watch.takeChanged();
    if (!full && names.isEmpty()) {
      return;
    }
    scanning = true;
    Future<Void> done = full ? fullScan() : changes(names);
    done.onComplete(ar -> {
      scanning = false;
      work();
    });
  }

  /** The listing, in name order, and the directory's stamp taken before it. */
  private record Listing(long stamp, List<String> names, Path realDir) {}

  /** Lists the directory and reads every task file, a chunk at a time (the next chunk is read while one is declared). */
  private Future<Void> fullScan() {
    Path dir = config.tasksDir();
    return vertx.executeBlocking(() -> {
      long stamp = stampOf(dir);
      Path realDir = dir.toRealPath();
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String name = p.getFileName().toString();
          if (TaskFiles.isTaskFile(name)) {
            names.add(name);
          }
        }
      }
      names.sort(null);
      return new Listing(stamp, names, realDir);
    }, false).<Void>compose(listing -> {
      dirStamp = listing.stamp();
      lastError = null;
      Set<String> present = new HashSet<>(listing.names());
      List<String> gone = new ArrayList<>();
      for (String name : files.keySet()) {
        if (!present.contains(name)) {
          gone.add(name);
        }
      }
      gone.forEach(this::forget);
      loadDone = 0;
      loadOf = listing.names().size();
      return declarations.sync(gone, files).compose(v -> chunks(listing, 0, readChunk(listing, 0)));
    }, err -> {
      String problem = "cannot read " + dir + ": " + (err instanceof AccessDeniedException ? "permission denied"
          : err instanceof NoSuchFileException ? "no such directory" : "not readable");
      if (!problem.equals(lastError)) {
        LOG.warn("{}; trying again every {} ms", problem, rescanMs); // once, not at every try
      }
      lastError = problem;
      return Future.succeededFuture();
    }).onComplete(v -> loadOf = -1);
  }

  private Future<Map<String, FileState>> readChunk(Listing listing, int from) {
    List<String> names = listing.names().subList(from, Math.min(from + CHUNK, listing.names().size()));
    Map<String, FileState> known = known(names);
    return vertx.executeBlocking(() -> reader.read(config.tasksDir(), listing.realDir(), names, known, Set.of()), false);
  }

  private Future<Void> chunks(Listing listing, int from, Future<Map<String, FileState>> reading) {
    int to = Math.min(from + CHUNK, listing.names().size());
    return reading.compose(states -> {
      Future<Map<String, FileState>> next = to < listing.names().size() ? readChunk(listing, to) : null;
      List<String> names = listing.names().subList(from, to);
      apply(names, states);
      return declarations.sync(names, files).compose(v -> {
        loadDone = to;
        if (next == null) {
          ready = true;
          loadOf = -1; // loaded: the health body says ready and no longer loading, at once
          return lastError != null ? Future.succeededFuture() : declarations.announce();
        }
        return chunks(listing, to, next);
      });
    });
  }

  /** Reads the files the watcher named, and follows the links again. */
  private Future<Void> changes(Set<String> named) {
    Set<String> names = new TreeSet<>(links);
    Set<String> forced = new HashSet<>();
    for (String n : named) {
      if (TaskFiles.isTaskFile(n)) {
        names.add(n);
        forced.add(n);
      }
    }
    Map<String, FileState> known = known(names);
    Path dir = config.tasksDir();
    return vertx.executeBlocking(() -> {
      long stamp = stampOf(dir);
      return Map.entry(stamp, reader.read(dir, dir.toRealPath(), names, known, forced));
    }, false).compose(read -> {
      dirStamp = read.getKey();
      apply(names, read.getValue());
      return declarations.sync(names, files);
    }, err -> {
      watch.wantFull(); // the directory itself: the full scan says what is wrong
      return Future.succeededFuture();
    });
  }

  /** Takes what was read for {@code names} (a name without a state is gone). */
  private void apply(Collection<String> names, Map<String, FileState> states) {
    for (String name : names) {
      FileState s = states.get(name);
      if (s == null) {
        forget(name);
      } else {
        files.put(name, s);
        if (s.link()) {
          links.add(name);
        } else {
          links.remove(name);
        }
      }
    }
  }

  /** What was read before of {@code names}, by name. */
  private Map<String, FileState> known(Collection<String> names) {
    Map<String, FileState> known = new HashMap<>();
    for (String n : names) {
      FileState old = files.get(n);
      if (old != null) {
        known.put(n, old);
      }
    }
    return known;
  }

  private void forget(String name) {
    files.remove(name);
    links.remove(name);
  }
}

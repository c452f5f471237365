package dev.nodepulse.tasks.source;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --tasks-dir} source: every {@code *.yaml}, {@code *.yml} and {@code *.json} file holds one
 * DelayedTask, declared with origin FILE (the file's path). The directory is watched (the JDK's WatchService,
 * inotify on Linux): only the files an event names are read again, so the work follows what changes, not how many
 * files the directory holds. Once a second the directory's own modification time is compared (one stat): a
 * change no event told of, a lost watch or an overflow of the event queue makes one full rescan. Where the
 * directory cannot be watched it is rescanned every second (names, sizes, modification times).
 *
 * <p>A full scan (the first one, an overflow) reads and declares the files in chunks, so the pipeline and the rest
 * of the agent keep going meanwhile; the health body says how far it is ({@code loading}).
 *
 * <p>Links: a link whose target stays inside the directory is read (a ConfigMap volume is made of such
 * links); a link that leads out, a dangling link and a link loop become Failed tasks saying so, and nothing
 * outside is read. Links are followed again at every change in the directory (their targets may have changed).
 * A file that cannot be read as a task becomes a Failed task named after the file whose error
 * names the file and the field (never the file's content): "not UTF-8 text", "permission denied", "too large".
 * Two files declaring the same task: the one the pipeline saw first keeps it; the other is refused (a Failed
 * task named after its file, naming both files) until the first lets go. Health component {@code tasks-dir}.
 */
public final class DirectorySource extends VerticleBase {
  public static final String HEALTH = "nodepulse.health.tasks-dir";
  static final long MAX_FILE_BYTES = 1024 * 1024;
  private static final long RESCAN_MS = 1000;
  /** Files read and declared per step of a full scan. */
  static final int CHUNK = 500;
  /**
   * A file read less than this after its modification time may change again without its stamp changing (coarse
   * file-system clocks, same-size rewrites): a full scan reads it again until its stamp is older.
   */
  private static final long RACY_MS = 3000;
  /** How long a change of the directory's stamp may stay unexplained by the watcher before a full rescan. */
  private static final long UNEXPLAINED_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final Logger LOG = LoggerFactory.getLogger(DirectorySource.class);

  private final Config config;
  private Pipeline pipeline;
  /** What was read from each file; by file name, sorted (so a full scan declares in name order). */
  private final TreeMap<String, FileState> files = new TreeMap<>();
  /** The declaration last sent and accepted for each file. */
  private final Map<String, Declaration> sent = new HashMap<>();
  /** Files whose task another declaration holds: declared again at every change until it is free. */
  private final Set<String> refused = new TreeSet<>();
  /** Files that are links (or failed as links): followed again at every change. */
  private final Set<String> links = new TreeSet<>();
  /** Names the watcher saw change, not yet read (filled by the watcher's thread). */
  private final Set<String> changed = ConcurrentHashMap.newKeySet();
  /** A full scan is wanted (first scan, overflow, a change no event told of, a lost watch). */
  private final AtomicBoolean fullWanted = new AtomicBoolean(true);
  /** Whether a hop to the event loop is already on its way for the watcher's events. */
  private final AtomicBoolean woken = new AtomicBoolean();
  /** Entries stat'ed and files parsed, since the start (tests read them: idle work must not follow the count). */
  final AtomicLong examined = new AtomicLong();
  final AtomicLong parsed = new AtomicLong();
  /** Periodic checks made (tests wait for some). */
  final AtomicLong checks = new AtomicLong();
  private boolean scanning;
  private boolean announced;
  private long dirStamp = Long.MIN_VALUE;
  /** When the directory's stamp was first seen changed with no event to explain it (System.nanoTime); 0: not. */
  private long unexplainedSince;
  private int loadDone;
  private int loadOf = -1;
  private volatile WatchService watcher;
  private volatile boolean ready;
  private volatile String lastError;

  /**
   * One file's content as read: a task or an error, with the stamp it was read at; racy: read again at the next
   * full scan; link: reached through a link.
   */
  record FileState(long modified, long size, DelayedTask task, String error, boolean racy, boolean link) {}

  private final long rescanMs;

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
    pipeline = new Pipeline(vertx);
    vertx.eventBus().consumer(HEALTH, msg -> {
      JsonObject h = new JsonObject().put("enabled", config.tasksDir() != null);
      if (config.tasksDir() == null) {
        msg.reply(h.put("state", "up").put("ready", true));
        return;
      }
      h.put("state", ready ? (lastError == null ? "up" : "degraded") : "starting").put("ready", ready)
          .put("dir", config.tasksDir().toString()).put("files", files.size())
          .put("watching", watcher != null).put("lastError", lastError);
      if (loadOf >= 0) {
        h.put("loading", new JsonObject().put("files", loadDone).put("of", loadOf));
      }
      msg.reply(h);
    });
    if (config.tasksDir() != null) {
      watch(config.tasksDir());
      work();
      vertx.setPeriodic(rescanMs, id -> check());
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    WatchService w = watcher;
    if (w != null) {
      try {
        w.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    return Future.succeededFuture();
  }

  /** The watcher's thread notes the names that changed (an overflow: a full scan) and wakes the event loop once. */
  private void watch(Path dir) {
    try {
      WatchService ws = dir.getFileSystem().newWatchService();
      dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
      watcher = ws;
      var context = vertx.getOrCreateContext();
      Thread t = new Thread(() -> {
        try {
          while (true) {
            var key = ws.take();
            for (WatchEvent<?> e : key.pollEvents()) {
              if (e.kind() == StandardWatchEventKinds.OVERFLOW || !(e.context() instanceof Path p)) {
                fullWanted.set(true);
              } else {
                changed.add(p.toString());
              }
            }
            boolean valid = key.reset();
            if (!valid) {
              watcher = null; // the directory is gone: the periodic check rescans and reports it
              fullWanted.set(true);
            }
            if (woken.compareAndSet(false, true)) {
              context.runOnContext(v -> {
                woken.set(false);
                work();
              });
            }
            if (!valid) {
              return;
            }
          }
        } catch (InterruptedException | ClosedWatchServiceException e) {
          // stopped
        }
      }, "nodepulse-tasks-dir-watch");
      t.setDaemon(true);
      t.start();
    } catch (IOException | UnsupportedOperationException e) {
      LOG.info("{} is not watched ({}); it is rescanned every second", dir, e.getClass().getSimpleName());
    }
  }

  /**
   * Every period: without a watcher (or while the directory cannot be read) a full scan; else one stat of the
   * directory, and a full scan only when its modification time moved without an event saying why.
   */
  private void check() {
    checks.incrementAndGet();
    if (watcher == null || lastError != null) {
      fullWanted.set(true);
      work();
      return;
    }
    if (scanning || !changed.isEmpty() || fullWanted.get()) {
      return;
    }
    long seen = dirStamp;
    vertx.executeBlocking(() -> stampOf(config.tasksDir()), false).onSuccess(stamp -> {
      if (stamp == seen || seen != dirStamp || scanning || !changed.isEmpty()) {
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
        fullWanted.set(true);
        work();
      }
    }).onFailure(err -> {
      fullWanted.set(true);
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
    boolean full = fullWanted.getAndSet(false);
    Set<String> names = new TreeSet<>();
    for (var it = changed.iterator(); it.hasNext();) {
      names.add(it.next());
      it.remove();
    }
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
          if (isTaskFile(name)) {
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
      return sync(gone).compose(v -> chunks(listing, 0, readChunk(listing, 0)));
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
    Map<String, FileState> known = new HashMap<>();
    for (String n : names) {
      FileState old = files.get(n);
      if (old != null) {
        known.put(n, old);
      }
    }
    return vertx.executeBlocking(() -> read(config.tasksDir(), listing.realDir(), names, known, Set.of()), false);
  }

  private Future<Void> chunks(Listing listing, int from, Future<Map<String, FileState>> reading) {
    int to = Math.min(from + CHUNK, listing.names().size());
    return reading.compose(states -> {
      Future<Map<String, FileState>> next = to < listing.names().size() ? readChunk(listing, to) : null;
      List<String> names = listing.names().subList(from, to);
      apply(names, states);
      return sync(names).compose(v -> {
        loadDone = to;
        if (next == null) {
          ready = true;
          loadOf = -1; // loaded: the health body says ready and no longer loading, at once
          return announce();
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
      if (isTaskFile(n)) {
        names.add(n);
        forced.add(n);
      }
    }
    Map<String, FileState> known = new HashMap<>();
    for (String n : names) {
      FileState old = files.get(n);
      if (old != null) {
        known.put(n, old);
      }
    }
    Path dir = config.tasksDir();
    return vertx.executeBlocking(() -> {
      long stamp = stampOf(dir);
      return Map.entry(stamp, read(dir, dir.toRealPath(), names, known, forced));
    }, false).compose(read -> {
      dirStamp = read.getKey();
      apply(names, read.getValue());
      return sync(names);
    }, err -> {
      fullWanted.set(true); // the directory itself: the full scan says what is wrong
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

  private void forget(String name) {
    files.remove(name);
    links.remove(name);
  }

  private static boolean isTaskFile(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"));
  }

  /**
   * Reads the named entries (blocking); an entry without a state in the answer is not a task file (gone, not a
   * regular file). Unchanged files keep their parsed state, except those in {@code forced} (an event named them).
   */
  private Map<String, FileState> read(Path dir, Path realDir, Collection<String> names, Map<String, FileState> known,
      Set<String> forced) {
    Map<String, FileState> out = new HashMap<>();
    for (String name : names) {
      examined.incrementAndGet();
      FileState s = stat(dir.resolve(name), name, realDir, forced.contains(name) ? null : known.get(name));
      if (s != null) {
        out.put(name, s);
      }
    }
    return out;
  }

  /** One entry: a regular file, a link inside the directory, or why it is not read. Null: not a task file. */
  private FileState stat(Path p, String name, Path realDir, FileState old) {
    long now = System.currentTimeMillis();
    Path real;
    try {
      real = p.toRealPath();
    } catch (NoSuchFileException e) {
      if (Files.isSymbolicLink(p)) {
        return failed(name, "a link to a missing file (dangling link); it is not read", old);
      }
      return null; // deleted between listing and now
    } catch (FileSystemException e) {
      if (Files.isSymbolicLink(p)) {
        return failed(name, "a link that cannot be followed (a link loop?); it is not read", old);
      }
      return failed(name, e instanceof AccessDeniedException ? "permission denied" : "cannot be read", old);
    } catch (IOException e) {
      return failed(name, "cannot be read", old);
    }
    if (!real.startsWith(realDir)) {
      return failed(name, "a link that leads out of the tasks directory; it is not read", old);
    }
    boolean link = !real.equals(realDir.resolve(name));
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null;
    }
    if (!a.isRegularFile()) {
      return null;
    }
    long modified = a.lastModifiedTime().toMillis();
    if (old != null && old.modified() == modified && old.size() == a.size() && !old.racy() && old.link() == link) {
      return old;
    }
    boolean racy = now - modified < RACY_MS;
    if (a.size() > MAX_FILE_BYTES) {
      return new FileState(modified, a.size(), null, "file " + name + ": too large (" + a.size()
          + " bytes; at most " + MAX_FILE_BYTES + ")", racy, link);
    }
    parsed.incrementAndGet();
    try {
      byte[] bytes = Files.readAllBytes(real);
      return new FileState(modified, a.size(), TaskReader.read(bytes, formatOf(name)), null, racy, link);
    } catch (TaskValidationException e) {
      return new FileState(modified, a.size(), null, "file " + name + ": " + e.getMessage(), racy, link);
    } catch (AccessDeniedException e) {
      return new FileState(modified, a.size(), null, "file " + name + ": permission denied", racy, link);
    } catch (IOException e) {
      return new FileState(modified, a.size(), null, "file " + name + ": cannot be read", racy, link);
    }
  }

  /** A link that cannot be read, or an entry whose path cannot be resolved (followed again at every change). */
  private static FileState failed(String name, String why, FileState old) {
    String error = "file " + name + ": " + why;
    if (old != null && error.equals(old.error())) {
      return old;
    }
    return new FileState(-1, -1, null, error, true, true);
  }

  /** The format for a file name ({@code .json}, else YAML). */
  static TaskReader.Format formatOf(String fileName) {
    return fileName.toLowerCase(Locale.ROOT).endsWith(".json") ? TaskReader.Format.JSON : TaskReader.Format.YAML;
  }

  private Origin origin(String name) {
    return new Origin(Origin.Kind.FILE, config.tasksDir().resolve(name).toString(), 0);
  }

  /**
   * Tells the pipeline what changed among {@code names} (and declares the refused files again): withdrawals
   * first, then declarations in file order.
   */
  private Future<Void> sync(Collection<String> names) {
    List<Future<?>> pending = new ArrayList<>();
    for (String gone : names) {
      if (!files.containsKey(gone) && sent.containsKey(gone)) {
        Declaration last = sent.remove(gone);
        refused.remove(gone);
        pending.add(pipeline.withdraw(origin(gone), last.key()).otherwiseEmpty());
      }
    }
    Set<String> todo = new TreeSet<>(names);
    todo.addAll(refused);
    for (String name : todo) {
      FileState s = files.get(name);
      if (s == null) {
        continue;
      }
      Declaration d = s.task() != null ? Declaration.of(origin(name), s.task())
          : Declaration.invalid(origin(name), "default", stem(name), s.error());
      if (d.equals(sent.get(name)) && !refused.contains(name)) {
        continue;
      }
      sent.put(name, d);
      pending.add(pipeline.declare(d).map(ok -> {
        refused.remove(name);
        return ok;
      }).recover(err -> {
        Pipeline.Refused r = (Pipeline.Refused) err;
        if (r.status() != 409 || d.task() == null) {
          sent.remove(name); // try again at the next full scan
          lastError = "file " + name + ": " + r.getMessage();
          fullWanted.set(true);
          return Future.succeededFuture();
        }
        // another declaration holds the task: this file is a Failed task of its own, naming both
        refused.add(name);
        return pipeline.declare(Declaration.invalid(origin(name), "default", stem(name), "file " + name + ": "
            + r.getMessage())).otherwiseEmpty();
      }).otherwiseEmpty());
    }
    return Future.join(pending).mapEmpty();
  }

  /**
   * After the first scan whose declarations all went through: tells the pipeline that this source declared
   * everything, so the stored state of tasks whose files were deleted while the agent was down is dropped.
   */
  private Future<Void> announce() {
    if (announced || lastError != null) {
      return Future.succeededFuture();
    }
    return pipeline.synced(Origin.Kind.FILE).onSuccess(reply -> announced = true).<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** The name of a file's Failed task: the file name as a DNS-1123 name (in namespace default). */
  static String stem(String fileName) {
    String stem = fileName.replaceFirst("\\.(ya?ml|json)$", "").toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9.-]+", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
    if (stem.isEmpty()) {
      stem = "invalid";
    }
    return stem.length() > 253 ? stem.substring(0, 253) : stem;
  }
}

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
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --tasks-dir} source: every {@code *.yaml}, {@code *.yml} and {@code *.json} file holds one
 * DelayedTask, declared with origin FILE (the file's path). The directory is watched (the JDK's WatchService,
 * inotify on Linux), so a new or changed file is seen within milliseconds; a rescan every second is the
 * fallback (overlay and network filesystems, missed events), comparing names, sizes and modification times.
 *
 * <p>Links: a link whose target stays inside the directory is read (a ConfigMap volume is made of such
 * links); a link that leads out, a dangling link and a link loop become Failed tasks saying so, and nothing
 * outside is read. A file that cannot be read as a task becomes a Failed task named after the file whose error
 * names the file and the field (never the file's content): "not UTF-8 text", "permission denied", "too large".
 * Two files declaring the same task: the one the pipeline saw first keeps it; the other is refused (a Failed
 * task named after its file, naming both files) until the first lets go. Health component {@code tasks-dir}.
 */
public final class DirectorySource extends VerticleBase {
  public static final String HEALTH = "nodepulse.health.tasks-dir";
  static final long MAX_FILE_BYTES = 1024 * 1024;
  private static final long RESCAN_MS = 1000;
  /**
   * A file read less than this after its modification time may change again without its stamp changing (coarse
   * file-system clocks, same-size rewrites): it is read again at the next scans until its stamp is older.
   */
  private static final long RACY_MS = 3000;
  private static final Logger LOG = LoggerFactory.getLogger(DirectorySource.class);

  private final Config config;
  private Pipeline pipeline;
  /** What was read from each file; by file name, sorted (so the first scan declares in name order). */
  private final TreeMap<String, FileState> files = new TreeMap<>();
  /** The declaration last sent and accepted for each file. */
  private final Map<String, Declaration> sent = new HashMap<>();
  /** Files whose task another declaration holds: declared again at every scan until it is free. */
  private final Set<String> refused = new HashSet<>();
  private boolean scanning;
  private boolean again;
  private boolean announced;
  private WatchService watcher;
  private volatile boolean ready;
  private volatile String lastError;

  /** One file's content as read: a task or an error, with the stamp it was read at; racy: read again next scan. */
  record FileState(long modified, long size, DelayedTask task, String error, boolean racy) {}

  public DirectorySource(Config config) {
    this.config = config;
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
      msg.reply(h.put("state", ready ? (lastError == null ? "up" : "degraded") : "starting").put("ready", ready)
          .put("dir", config.tasksDir().toString()).put("files", files.size())
          .put("watching", watcher != null).put("lastError", lastError));
    });
    if (config.tasksDir() != null) {
      watch(config.tasksDir());
      scan();
      vertx.setPeriodic(RESCAN_MS, id -> scan());
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    if (watcher != null) {
      try {
        watcher.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    return Future.succeededFuture();
  }

  /** Any event in the directory triggers a scan at once; the periodic scan covers what the watcher misses. */
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
            key.pollEvents();
            context.runOnContext(v -> scan());
            if (!key.reset()) {
              return; // the directory is gone: the periodic scan reports it
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

  private void scan() {
    if (scanning) {
      again = true;
      return;
    }
    scanning = true;
    again = false;
    Map<String, FileState> known = new HashMap<>(files);
    Path dir = config.tasksDir();
    vertx.executeBlocking(() -> read(dir, known), false).onComplete(ar -> {
      if (ar.failed()) {
        scanning = false;
        lastError = "cannot read " + dir + ": " + (ar.cause() instanceof AccessDeniedException ? "permission denied"
            : ar.cause() instanceof NoSuchFileException ? "no such directory" : "not readable");
        LOG.warn(lastError);
        return;
      }
      files.clear();
      files.putAll(ar.result());
      lastError = null;
      sync().compose(done -> announce()).onComplete(done -> {
        scanning = false;
        ready = true;
        if (again) {
          scan();
        }
      });
    });
  }

  /** Reads the directory (blocking): unchanged files keep their parsed state. */
  private static Map<String, FileState> read(Path dir, Map<String, FileState> known) throws IOException {
    Map<String, FileState> out = new TreeMap<>();
    Path realDir = dir.toRealPath();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        if (name.startsWith(".") || !(lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"))) {
          continue;
        }
        FileState s = stat(p, name, realDir, known.get(name));
        if (s != null) {
          out.put(name, s);
        }
      }
    }
    return out;
  }

  /** One entry: a regular file, a link inside the directory, or why it is not read. Null: not a task file. */
  private static FileState stat(Path p, String name, Path realDir, FileState old) {
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
    if (old != null && old.modified() == modified && old.size() == a.size() && !old.racy()) {
      return old;
    }
    boolean racy = now - modified < RACY_MS;
    if (a.size() > MAX_FILE_BYTES) {
      return new FileState(modified, a.size(), null, "file " + name + ": too large (" + a.size()
          + " bytes; at most " + MAX_FILE_BYTES + ")", racy);
    }
    try {
      byte[] bytes = Files.readAllBytes(real);
      return new FileState(modified, a.size(), TaskReader.read(bytes, formatOf(name)), null, racy);
    } catch (TaskValidationException e) {
      return new FileState(modified, a.size(), null, "file " + name + ": " + e.getMessage(), racy);
    } catch (AccessDeniedException e) {
      return new FileState(modified, a.size(), null, "file " + name + ": permission denied", racy);
    } catch (IOException e) {
      return new FileState(modified, a.size(), null, "file " + name + ": cannot be read", racy);
    }
  }

  private static FileState failed(String name, String why, FileState old) {
    String error = "file " + name + ": " + why;
    if (old != null && error.equals(old.error())) {
      return old;
    }
    return new FileState(-1, -1, null, error, true);
  }

  /** The format for a file name ({@code .json}, else YAML). */
  static TaskReader.Format formatOf(String fileName) {
    return fileName.toLowerCase(Locale.ROOT).endsWith(".json") ? TaskReader.Format.JSON : TaskReader.Format.YAML;
  }

  private Origin origin(String name) {
    return new Origin(Origin.Kind.FILE, config.tasksDir().resolve(name).toString(), 0);
  }

  /** Tells the pipeline what changed since the last scan: withdrawals first, then declarations in file order. */
  private Future<Void> sync() {
    List<Future<?>> pending = new ArrayList<>();
    for (String gone : new ArrayList<>(sent.keySet())) {
      if (!files.containsKey(gone)) {
        Declaration last = sent.remove(gone);
        refused.remove(gone);
        pending.add(pipeline.withdraw(origin(gone), last.key()).otherwiseEmpty());
      }
    }
    for (var f : files.entrySet()) {
      String name = f.getKey();
      FileState s = f.getValue();
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
          sent.remove(name); // try again on the next scan
          lastError = "file " + name + ": " + r.getMessage();
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

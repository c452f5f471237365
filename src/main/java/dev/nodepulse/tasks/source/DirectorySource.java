package dev.nodepulse.tasks.source;

import dev.nodepulse.config.Config;
import dev.nodepulse.scheduler.SchedulerVerticle;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskCodec;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --tasks-dir} source: every {@code *.yaml}, {@code *.yml} and {@code *.json} file holds one
 * DelayedTask. The directory is rescanned every second (a worker compares names, sizes and modification
 * times, which also works on overlay and network filesystems where inotify does not), so adding, changing
 * or deleting a file takes effect within about a second. A file that cannot be read becomes a Failed task
 * named after the file, whose error names the file and the field; two files declaring the same task: the
 * second (by file name) fails. Health component {@code tasks-dir}: ready once the first scan is synced.
 */
public final class DirectorySource extends VerticleBase {
  public static final String HEALTH = "nodepulse.health.tasks-dir";
  public static final String SOURCE = "dir";
  static final long MAX_FILE_BYTES = 1024 * 1024;
  private static final long RESCAN_MS = 1000;
  /**
   * A file read less than this after its modification time may change again without its stamp changing (coarse
   * file-system clocks, same-size rewrites): it is read again at the next scans until its stamp is older.
   */
  private static final long RACY_MS = 3000;
  private static final Logger LOG = LoggerFactory.getLogger(DirectorySource.class);

  private final Config config;
  /** What was read from each file; by file name, sorted (the first file declaring a task wins). */
  private final TreeMap<String, FileState> files = new TreeMap<>();
  /** The upsert last sent and accepted for each file (compared as text). */
  private final Map<String, String> sent = new HashMap<>();
  private boolean scanning;
  private boolean announced; // the scheduler was told that a whole scan was synced
  private volatile boolean ready;
  private volatile String lastError;

  /** One file's content as read: a task or an error, with the stamp it was read at; racy: read again next scan. */
  record FileState(long modified, long size, DelayedTask task, String error, boolean racy) {}

  public DirectorySource(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer(HEALTH, msg -> {
      JsonObject h = new JsonObject().put("enabled", config.tasksDir() != null);
      if (config.tasksDir() == null) {
        msg.reply(h.put("state", "up").put("ready", true));
        return;
      }
      msg.reply(h.put("state", ready ? (lastError == null ? "up" : "degraded") : "starting").put("ready", ready)
          .put("dir", config.tasksDir().toString()).put("files", files.size()).put("lastError", lastError));
    });
    if (config.tasksDir() != null) {
      scan();
      vertx.setPeriodic(RESCAN_MS, id -> scan());
    }
    return Future.succeededFuture();
  }

  private void scan() {
    if (scanning) {
      return;
    }
    scanning = true;
    Map<String, FileState> known = new HashMap<>(files);
    Path dir = config.tasksDir();
    vertx.executeBlocking(() -> read(dir, known), false).onComplete(ar -> {
      if (ar.failed()) {
        scanning = false;
        lastError = "cannot read " + dir + ": " + ar.cause().getMessage();
        LOG.warn(lastError);
        return;
      }
      files.clear();
      files.putAll(ar.result());
      lastError = null;
      sync().compose(done -> announce()).onComplete(done -> {
        scanning = false;
        ready = true;
      });
    });
  }

  /** Reads the directory (blocking): unchanged files keep their parsed state. */
  private static Map<String, FileState> read(Path dir, Map<String, FileState> known) throws IOException {
    Map<String, FileState> out = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        if (name.startsWith(".") || !(lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"))) {
          continue;
        }
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
          continue; // deleted between listing and stat
        }
        if (!a.isRegularFile()) {
          continue;
        }
        long modified = a.lastModifiedTime().toMillis();
        FileState old = known.get(name);
        if (old != null && old.modified() == modified && old.size() == a.size() && !old.racy()) {
          out.put(name, old);
          continue;
        }
        out.put(name, parse(p, name, modified, a.size()));
      }
    }
    return out;
  }

  private static FileState parse(Path p, String name, long modified, long size) {
    boolean racy = System.currentTimeMillis() - modified < RACY_MS;
    if (size > MAX_FILE_BYTES) {
      return new FileState(modified, size, null, "file " + name + ": too large (" + size + " bytes; at most "
          + MAX_FILE_BYTES + ")", racy);
    }
    try {
      String text = Files.readString(p, StandardCharsets.UTF_8);
      return new FileState(modified, size, TaskCodec.parse(text, TaskCodec.formatOfFile(name)), null, racy);
    } catch (TaskValidationException e) {
      return new FileState(modified, size, null, "file " + name + ": " + e.getMessage(), racy);
    } catch (IOException | RuntimeException e) {
      return new FileState(modified, size, null, "file " + name + ": cannot be read: " + e.getMessage(), racy);
    }
  }

  /** Sends the scheduler what changed since the last scan: removals first, then upserts in file order. */
  private Future<Void> sync() {
    List<Future<?>> pending = new ArrayList<>();
    for (String gone : new ArrayList<>(sent.keySet())) {
      if (!files.containsKey(gone)) {
        sent.remove(gone);
        pending.add(vertx.eventBus().request(SchedulerVerticle.REMOVE,
            new JsonObject().put("source", SOURCE).put("key", gone)).otherwiseEmpty());
      }
    }
    Map<String, String> claimed = new HashMap<>();
    for (var f : files.entrySet()) {
      String name = f.getKey();
      FileState s = f.getValue();
      JsonObject msg = new JsonObject().put("source", SOURCE).put("key", name);
      if (s.task() != null && claimed.containsKey(s.task().key())) {
        msg.put("error", error(name, "file " + name + ": task " + s.task().key() + " is already declared by file "
            + claimed.get(s.task().key())));
      } else if (s.task() != null) {
        claimed.put(s.task().key(), name);
        msg.put("task", TaskCodec.toObjectJson(s.task()));
      } else {
        msg.put("error", error(name, s.error()));
      }
      String text = msg.encode();
      if (text.equals(sent.get(name))) {
        continue;
      }
      sent.put(name, text);
      pending.add(vertx.eventBus().request(SchedulerVerticle.UPSERT, msg).onFailure(err -> {
        sent.remove(name); // try again on the next scan
        lastError = "file " + name + ": " + err.getMessage();
      }).otherwiseEmpty());
    }
    return Future.join(pending).mapEmpty();
  }

  /**
   * After the first scan whose upserts all succeeded: tells the scheduler that this source declared everything,
   * so the stored state of tasks whose files were deleted while the agent was down is dropped.
   */
  private Future<Void> announce() {
    if (announced || lastError != null) {
      return Future.succeededFuture();
    }
    return vertx.eventBus().request(SchedulerVerticle.SYNCED, new JsonObject().put("source", SOURCE))
        .onSuccess(reply -> announced = true).<Void>mapEmpty().otherwiseEmpty();
  }

  /** The error upsert: a Failed task named after the file (as a DNS-1123 name) in namespace default. */
  static JsonObject error(String fileName, String message) {
    String stem = fileName.replaceFirst("\\.(ya?ml|json)$", "").toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9.-]+", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
    if (stem.isEmpty()) {
      stem = "invalid";
    }
    if (stem.length() > 253) {
      stem = stem.substring(0, 253);
    }
    return new JsonObject().put("name", stem).put("namespace", "default").put("message", message);
  }
}

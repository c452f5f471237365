package dev.nodepulse.tasks.source;

import io.vertx.core.Context;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watching the tasks directory (the JDK's WatchService, inotify on Linux): a thread of its own notes the names an
 * event tells of, or that a full scan is wanted (an overflow of the event queue, the watch lost), and wakes the
 * source on its event loop once for all the events that came meanwhile.
 */
final class DirectoryWatch {
  private static final Logger LOG = LoggerFactory.getLogger(DirectoryWatch.class);

  /** Names the watcher saw change, not yet taken (filled by the watcher's thread). */
  private final Set<String> changed = ConcurrentHashMap.newKeySet();
  /** A full scan is wanted (first scan, overflow, a change no event told of, a lost watch). */
  private final AtomicBoolean fullWanted = new AtomicBoolean(true);
  /** Whether a hop to the event loop is already on its way for the watcher's events. */
  private final AtomicBoolean woken = new AtomicBoolean();
  private volatile WatchService watcher;

  /**
   * Starts watching {@code dir}: {@code wake} runs on {@code context} after events. Where the directory cannot be
   * watched this is logged and {@link #watching()} stays false.
   */
  void start(Path dir, Context context, Runnable wake) {
    try {
      WatchService ws = dir.getFileSystem().newWatchService();
      dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
      watcher = ws;
      Thread t = new Thread(() -> loop(ws, context, wake), "nodepulse-tasks-dir-watch");
      t.setDaemon(true);
      t.start();
    } catch (IOException | UnsupportedOperationException e) {
      LOG.info("{} is not watched ({}); it is rescanned every second", dir, e.getClass().getSimpleName());
    }
  }

  private void loop(WatchService ws, Context context, Runnable wake) {
    try {
      while (true) {
        WatchKey key = ws.take();
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
            wake.run();
          });
        }
        if (!valid) {
          return;
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // stopped
    }
  }

  /** Whether the directory is watched now. */
  boolean watching() {
    return watcher != null;
  }

  /** Asks for a full scan (a change no event told of, a directory that cannot be read, a refused declaration). */
  void wantFull() {
    fullWanted.set(true);
  }

  /** Whether a full scan is wanted, and whether any name is waiting to be taken. */
  boolean pending() {
    return fullWanted.get() || !changed.isEmpty();
  }

  /** Takes the wish for a full scan: true when one was wanted. */
  boolean takeFull() {
    return fullWanted.getAndSet(false);
  }

  /** Takes the names the watcher saw change, sorted. */
  Set<String> takeChanged() {
    Set<String> names = new TreeSet<>();
    for (var it = changed.iterator(); it.hasNext();) {
      names.add(it.next());
      it.remove();
    }
    return names;
  }

  /** Whether names are waiting to be taken. */
  boolean hasChanged() {
    return !changed.isEmpty();
  }

  void stop() {
    WatchService w = watcher;
    if (w != null) {
      try {
        w.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }
}

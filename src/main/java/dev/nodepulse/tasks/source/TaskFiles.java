package dev.nodepulse.tasks.source;

import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reading the tasks directory's entries, blocking (called off the event loop): each task file as a task or as an
 * error naming the file and the field (never the file's content): "not UTF-8 text", "permission denied", "too
 * large". A link whose target stays inside the directory is read; a link that leads out, a dangling link and a
 * link loop are errors, and nothing outside is read. An entry whose stamp (modification time, size) did not
 * change keeps what was read before, without reading it again.
 */
final class TaskFiles {
  static final long MAX_FILE_BYTES = 1024 * 1024;
  /**
   * A file read less than this after its modification time may change again without its stamp changing (coarse
   * file-system clocks, same-size rewrites): it is read again at the next full scan until its stamp is older.
   */
  private static final long RACY_MS = 3000;

  /** Entries stat'ed and files parsed, since the start (tests read them: idle work must not follow the count). */
  final AtomicLong examined = new AtomicLong();
  final AtomicLong parsed = new AtomicLong();

  /**
   * One file's content as read: a task or an error, with the stamp it was read at; racy: read again at the next
   * full scan; link: reached through a link (followed again at every change: its target may have changed).
   */
  record FileState(long modified, long size, DelayedTask task, String error, boolean racy, boolean link) {}

  /** A task file: {@code *.yaml}, {@code *.yml} or {@code *.json}, not hidden. */
  static boolean isTaskFile(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"));
  }

  /** The format for a file name ({@code .json}, else YAML). */
  static TaskReader.Format formatOf(String fileName) {
    return fileName.toLowerCase(Locale.ROOT).endsWith(".json") ? TaskReader.Format.JSON : TaskReader.Format.YAML;
  }

  /**
   * Reads the named entries of {@code dir} (whose real path is {@code realDir}); an entry without a state in the
   * answer is not a task file (gone, not a regular file). Unchanged files keep their {@code known} state, except
   * those in {@code forced} (an event named them).
   */
  Map<String, FileState> read(Path dir, Path realDir, Collection<String> names, Map<String, FileState> known,
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
    long now = System.currentTimeMillis(); // the wall clock, as the file system's modification times are
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
}

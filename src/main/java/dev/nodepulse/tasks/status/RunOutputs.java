package dev.nodepulse.tasks.status;

import dev.nodepulse.util.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The latest run's whole output of each task: one file per task in {@code <dataDir>/task-output/}, named by a hash
 * of the task's key, replaced atomically at each run. At most {@link #MAX_OUTPUT} bytes are kept; a cut is stated
 * at the end of the file. Blocking: called on the status store's worker, which keeps the writes in order.
 */
final class RunOutputs {
  static final int MAX_OUTPUT = 2 * 1024 * 1024;

  private final Path dir;

  RunOutputs(Path dir) {
    this.dir = dir;
  }

  /** Keeps {@code output} as the task's latest output; null: the latest run has none (the file goes). */
  void write(String key, String output) throws IOException {
    Path f = file(key);
    if (output == null) {
      Files.deleteIfExists(f);
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
    Files.createDirectories(dir);
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    try {
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The task's latest output, or null when it has none. */
  String read(String key) throws IOException {
    try {
      return Files.readString(file(key), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** The task's output is no longer wanted. */
  void delete(String key) throws IOException {
    Files.deleteIfExists(file(key));
  }

  Path file(String key) {
    return dir.resolve(Sha256.hex(key, 16) + ".txt");
  }
}

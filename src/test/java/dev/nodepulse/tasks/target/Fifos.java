package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: real FIFOs (mkfifo), a reader that reads one to its end on its own thread, and a reader that holds
 * one open read-write, as docs/tasks.md tells a reader that must not miss a write to do.
 */
final class Fifos {
  private Fifos() {}

  static Path mkfifo(Path dir, String name) throws Exception {
    Path fifo = dir.resolve(name);
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("mkfifo " + fifo).isZero();
    return fifo;
  }

  static CompletableFuture<String> reader(Path fifo) {
    return CompletableFuture.supplyAsync(() -> {
      try (InputStream in = Files.newInputStream(fifo)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    }, r -> Thread.ofPlatform().daemon().start(r));
  }

  /**
   * Opens {@code fifo} read-write (never blocks, and from then on a writer always finds a reader): a reader that
   * reopens after each end of file can lose a write that lands between its end of file and its close, since the
   * kernel drops what a pipe holds when its last reader closes. {@link Held#drain} returns every line written so far.
   */
  static Held hold(Path fifo) throws IOException {
    return new Held(new RandomAccessFile(fifo.toFile(), "rw"));
  }

  static final class Held implements AutoCloseable {
    private static final String END = "--end-of-test--";
    private final RandomAccessFile file;

    private Held(RandomAccessFile file) {
      this.file = file;
    }

    /** The lines written to the FIFO so far: writes a marker of its own behind them and reads up to it. */
    List<String> drain() throws IOException {
      file.write((END + "\n").getBytes(StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      for (String line = file.readLine(); !END.equals(line); line = file.readLine()) {
        lines.add(line);
      }
      return lines;
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}

package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Test helper: real FIFOs (mkfifo) and a reader that reads one to its end on its own thread. */
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
}

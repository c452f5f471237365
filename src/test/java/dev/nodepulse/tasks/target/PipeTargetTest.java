package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Fifos.mkfifo;
import static dev.nodepulse.tasks.target.Fifos.reader;
import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class PipeTargetTest {
  @TempDir Path dir;
  Path pipes;
  Vertx vertx;
  Targets targets;

  @BeforeEach
  void start(Vertx vertx) throws IOException {
    this.vertx = vertx;
    pipes = Files.createDirectories(dir.resolve("pipes"));
    targets = new Targets(vertx, Config.forTest(dir, "--pipe-dir", pipes.toString()));
  }

  @AfterEach
  void stop() {
    targets.close();
  }


  private RunResult run(String name, String data) {
    // a timeout far from the outcome: the runs here succeed, even on a busy machine
    return await(targets.start(new Target.Pipe(name, data, Duration.ofSeconds(30)), Map.of(), p -> {}));
  }

  @Test
  void writesToAFifoWithAReader() throws Exception {
    Path fifo = mkfifo(pipes, "reload-nginx");
    CompletableFuture<String> read = reader(fifo);

    RunResult r = run("reload-nginx", "reload\n");

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.bytes()).isEqualTo(7);
    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo("reload\n");
  }

  @Test
  void aFifoWithoutReaderTimesOutWithoutBlockingTheEventLoop() throws Exception {
    Path fifo = mkfifo(pipes, "nobody");
    Context context = vertx.getOrCreateContext();
    Promise<Execution> started = Promise.promise();
    Promise<Long> eventLoopAnswered = Promise.promise();
    context.runOnContext(v -> {
      started.complete(targets.start(new Target.Pipe("nobody", "lost\n", Duration.ofMillis(300)), Map.of(), p -> {}));
      // queued behind the start on the same event loop: runs only if the start did not block it
      context.runOnContext(w -> eventLoopAnswered.complete(System.nanoTime()));
    });
    Execution e = await(started.future());
    RunResult r = await(e);
    long finished = System.nanoTime();

    assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
    assertThat(r.error()).contains("nobody").contains("300ms");
    assertThat(await(eventLoopAnswered.future())).isLessThan(finished);

    // the abandoned writer left nothing behind: the next reader sees only the next run's data. The reader holds
    // the FIFO open read-write: one that opened read-only while the abandoned writer was being released could be
    // paired with that writer's empty open and see an end of file before the next run (failed on a busy machine)
    try (Fifos.Held held = Fifos.hold(fifo)) {
      assertThat(run("nobody", "second\n").outcome()).isEqualTo(Outcome.SUCCEEDED);
      assertThat(held.drain()).containsExactly("second");
    }
  }

  @Test
  void cancelStopsAWriterWaitingForAReader() throws Exception {
    mkfifo(pipes, "waiting");
    Execution e = targets.start(new Target.Pipe("waiting", "x", Duration.ofSeconds(30)), Map.of(), p -> {});
    e.cancel();

    assertThat(await(e).outcome()).isEqualTo(Outcome.CANCELLED);
  }

  @Test
  void appendsToARegularFile() throws Exception {
    Path file = Files.writeString(pipes.resolve("events.log"), "first\n");

    RunResult r = run("events.log", "second\n");

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(Files.readString(file)).isEqualTo("first\nsecond\n");
  }

  @Test
  void aMissingPipeFails() {
    RunResult r = run("absent", "x");

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("no such pipe").contains("absent");
    assertThat(pipes.resolve("absent")).doesNotExist();
  }

  @Test
  void namesThatLeaveTheDirectoryAreRejectedAndNothingIsWritten() throws Exception {
    Path outside = Files.writeString(dir.resolve("x"), "");
    Files.createDirectories(pipes.resolve("a"));
    Path nested = Files.writeString(pipes.resolve("a").resolve("b"), "");
    Path target = Files.writeString(dir.resolve("outside.txt"), "");
    Files.createSymbolicLink(pipes.resolve("escape"), target);

    for (String name : new String[] {"../x", "/etc/passwd", "a/b", "..", "."}) {
      RunResult r = run(name, "pwned\n");
      assertThat(r.outcome()).as(name).isEqualTo(Outcome.DENIED);
      assertThat(r.error()).as(name).contains("plain file name");
    }
    RunResult link = run("escape", "pwned\n");
    assertThat(link.outcome()).isEqualTo(Outcome.DENIED);
    assertThat(link.error()).contains("outside the pipe directory");

    assertThat(outside).isEmptyFile();
    assertThat(nested).isEmptyFile();
    assertThat(target).isEmptyFile();
  }

  @Test
  void aDirectoryIsNotAPipeAndAMissingPipeDirectoryIsNamed(Vertx vertx) throws Exception {
    Files.createDirectories(pipes.resolve("sub"));
    RunResult r = run("sub", "x");
    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("not a FIFO or a regular file");

    Targets noDir = new Targets(vertx, Config.forTest(dir, "--pipe-dir", dir.resolve("absent").toString()));
    try {
      RunResult missing = await(noDir.start(new Target.Pipe("p", "x", null), Map.of(), p -> {}));
      assertThat(missing.outcome()).isEqualTo(Outcome.FAILED);
      assertThat(missing.error()).contains("pipe directory").contains("absent");
    } finally {
      noDir.close();
    }
  }

  @Test
  void aSymlinkInsideTheDirectoryIsFollowed() throws Exception {
    Path file = Files.writeString(pipes.resolve("real.log"), "");
    Files.createSymbolicLink(pipes.resolve("alias"), Path.of("real.log"));

    assertThat(run("alias", "via alias\n").outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(Files.readString(file)).isEqualTo("via alias\n");
  }
}

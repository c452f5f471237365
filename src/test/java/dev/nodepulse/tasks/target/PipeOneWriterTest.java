package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Fifos.mkfifo;
import static dev.nodepulse.tasks.target.Fifos.hold;
import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Attempts on the same FIFO take turns: one's clean-up never wakes or breaks another. */
@ExtendWith(VertxExtension.class)
class PipeOneWriterTest {
  @TempDir Path dir;
  Path pipes;
  Targets targets;

  @BeforeEach
  void start(Vertx vertx) throws IOException {
    pipes = Files.createDirectories(dir.resolve("pipes"));
    targets = new Targets(vertx, Config.forTest(dir, "--pipe-dir", pipes.toString()));
  }

  @AfterEach
  void stop() {
    targets.close();
  }


  @Test
  void whenOneWriterTimesOutTheOthersStillWaitForARealReaderAndDeliverOnce() throws Exception {
    Path fifo = mkfifo(pipes, "shared");
    Execution shortOne = targets.start(new Target.Pipe("shared", "first\n", Duration.ofSeconds(1)), Map.of(), p -> {});
    Execution second = targets.start(new Target.Pipe("shared", "second\n", Duration.ofSeconds(60)), Map.of(), p -> {});
    Execution third = targets.start(new Target.Pipe("shared", "third\n", Duration.ofSeconds(60)), Map.of(), p -> {});

    assertThat(await(shortOne).outcome()).isEqualTo(Outcome.TIMEOUT);
    // the others are still waiting for a reader: nothing was reported as sent into the void
    assertThat(second.result().isComplete()).as("second ended without a reader").isFalse();
    assertThat(third.result().isComplete()).as("third ended without a reader").isFalse();
    // a reader comes and holds the FIFO open (docs/tasks.md): each of them delivers once, in its turn
    try (Fifos.Held reader = hold(fifo)) {
      RunResult b = await(second);
      RunResult c = await(third);
      assertThat(b.outcome()).as(String.valueOf(b.error())).isEqualTo(Outcome.SUCCEEDED);
      assertThat(c.outcome()).as(String.valueOf(c.error())).isEqualTo(Outcome.SUCCEEDED);
      assertThat(reader.drain()).as("each delivered once").containsExactlyInAnyOrder("second", "third");
    }
  }
}

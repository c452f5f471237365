package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class ComputeTargetTest {
  @TempDir Path dir;

  private static boolean computeThreadsAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.isAlive() && t.getName().startsWith("nodepulse-target-"));
  }

  @Test
  void computesPiAndReportsAnExcerpt(Vertx vertx) {
    Targets targets = new Targets(vertx, Config.forTest(dir));
    try {
      RunResult r = await(targets.start(new Target.Compute(1000), Map.of(), p -> {}));

      assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
      assertThat(r.bytes()).isEqualTo(1000);
      assertThat(r.result()).isEqualTo(PiTest.reference().substring(0, 102) + "… (1000 digits)");
      assertThat(r.error()).isNull();
    } finally {
      targets.close();
    }
  }

  @Test
  void reportsRisingProgressOnTheContextAndStopsWhenCancelled(Vertx vertx) {
    Targets targets = new Targets(vertx, Config.forTest(dir, "--max-pi-digits", "1000000"));
    try {
      List<Progress> seen = new CopyOnWriteArrayList<>();
      AtomicReference<String> wrongThread = new AtomicReference<>();
      Execution e = targets.start(new Target.Compute(1_000_000), Map.of(), p -> {
        if (!Context.isOnEventLoopThread()) {
          wrongThread.set(Thread.currentThread().getName());
        }
        seen.add(p);
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 3);
      e.cancel();

      assertThat(await(e).outcome()).isEqualTo(Outcome.CANCELLED);
      assertThat(wrongThread).hasNullValue();
      assertThat(seen).extracting(Progress::percent).isSorted();
      assertThat(seen.getLast().percent()).isLessThan(100);
      for (Progress p : seen) {
        assertThat(PiTest.reference()).startsWith(p.intermediate().replace("…", ""));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> !computeThreadsAlive());
    } finally {
      targets.close();
    }
  }

  @Test
  void digitsOverTheCapAreDenied(Vertx vertx) {
    Targets targets = new Targets(vertx, Config.forTest(dir, "--max-pi-digits", "5000"));
    try {
      RunResult r = await(targets.start(new Target.Compute(5001), Map.of(), p -> {}));

      assertThat(r.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(r.error()).contains("5001").contains("--max-pi-digits=5000");
      assertThat(await(targets.start(new Target.Compute(5000), Map.of(), p -> {})).outcome())
          .isEqualTo(Outcome.SUCCEEDED);
    } finally {
      targets.close();
    }
  }

  @Test
  void runningPastTheTimeCapTimesOut(Vertx vertx) {
    Targets targets = new Targets(vertx, Config.forTest(dir, "--max-pi-digits", "1000000",
        "--max-compute-time", "1s"));
    try {
      RunResult r = await(targets.start(new Target.Compute(1_000_000), Map.of(), p -> {}));

      assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
      assertThat(r.error()).contains("--max-compute-time=1000ms");
      await().atMost(Duration.ofSeconds(30)).until(() -> !computeThreadsAlive());
    } finally {
      targets.close();
    }
  }
}

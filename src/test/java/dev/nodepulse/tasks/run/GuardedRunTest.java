package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The run step alone: the target's result passes through; a target that outlives its timeout is cancelled. */
class GuardedRunTest {
  final Vertx vertx = Vertx.vertx();
  final AtomicInteger cancels = new AtomicInteger();

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  Execution execution(Promise<RunResult> p) {
    return new Execution() {
      @Override
      public Future<RunResult> result() {
        return p.future();
      }

      @Override
      public void cancel() {
        cancels.incrementAndGet();
      }
    };
  }

  Future<RunResult> start(Runner runner, Duration timeout) {
    Promise<GuardedRun> started = Promise.promise();
    var context = vertx.getOrCreateContext();
    context.runOnContext(v -> started.complete(GuardedRun.start(vertx, context, runner, new Target.Compute(5),
        Map.of(), timeout, p -> {})));
    return started.future().compose(GuardedRun::result);
  }

  @Test
  void theTargetsResultPassesThrough() throws Exception {
    RunResult ok = RunResult.success(200, 3, "abc").withOutput("abcdef");
    RunResult r = get(start((t, h, p) -> execution(completed(ok)), Duration.ofSeconds(5)));
    assertThat(r).isEqualTo(ok);
    assertThat(cancels).hasValue(0);
  }

  static Promise<RunResult> completed(RunResult r) {
    Promise<RunResult> p = Promise.promise();
    p.complete(r);
    return p;
  }

  @Test
  void aTargetThatNeverEndsIsCancelledAfterItsTimeoutAsTimeout() throws Exception {
    RunResult r = get(start((t, h, p) -> execution(Promise.promise()), Duration.ofMillis(100)));
    assertThat(r.outcome()).isEqualTo(RunResult.Outcome.TIMEOUT);
    assertThat(r.error()).isEqualTo("timed out after 100ms; cancelled");
    assertThat(cancels).hasValue(1);
  }

  @Test
  void aTargetThatCannotStartIsAFailedAttemptWithoutItsExceptionText() throws Exception {
    RunResult r = get(start((t, h, p) -> {
      throw new IllegalStateException("java.lang.internal.Detail@1234");
    }, Duration.ofSeconds(5)));
    assertThat(r.outcome()).isEqualTo(RunResult.Outcome.FAILED);
    assertThat(r.error()).isEqualTo("cannot start the compute attempt");
  }
}

package dev.nodepulse.tasks.run;

import dev.nodepulse.config.Durations;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The run step: one attempt against the target, bounded by {@code timeout} plus a grace (the target bounds
 * itself; this guard cancels one that does not). Its result never fails: errors are a {@link RunResult}.
 */
final class GuardedRun {
  static final Duration GRACE = Duration.ofMillis(200);

  private final Promise<RunResult> result = Promise.promise();
  private Execution execution;

  private GuardedRun() {}

  /** Starts the attempt; {@code onProgress} is called on {@code context}. Call on {@code context}. */
  static GuardedRun start(Vertx vertx, Context context, Runner runner, Target target, Map<String, String> headers,
      Duration timeout, Consumer<Progress> onProgress) {
    GuardedRun g = new GuardedRun();
    try {
      g.execution = runner.start(target, headers, p -> context.runOnContext(v -> onProgress.accept(p)));
    } catch (RuntimeException err) {
      g.result.complete(RunResult.failure(RunResult.Outcome.FAILED, "cannot start the " + target.type()
          + " attempt"));
      return g;
    }
    long guard = vertx.setTimer(timeout.plus(GRACE).toMillis(), id -> {
      if (g.result.tryComplete(RunResult.failure(RunResult.Outcome.TIMEOUT, "timed out after "
          + Durations.format(timeout) + "; cancelled"))) {
        g.execution.cancel();
      }
    });
    g.execution.result().onComplete(ar -> context.runOnContext(v -> {
      vertx.cancelTimer(guard);
      g.result.tryComplete(ar.succeeded() && ar.result() != null ? ar.result()
          : RunResult.failure(RunResult.Outcome.FAILED, "the " + target.type() + " target gave no result"));
    }));
    return g;
  }

  Future<RunResult> result() {
    return result.future();
  }

  /** Stops the attempt (its result becomes CANCELLED unless it had ended). */
  void cancel() {
    if (execution != null) {
      execution.cancel();
    }
    result.tryComplete(RunResult.failure(RunResult.Outcome.CANCELLED, "cancelled"));
  }
}

package dev.nodepulse.tasks.target;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.function.Consumer;

/** Runs one attempt against any target type. Placeholder until the targets land. */
public final class Targets {
  public Targets(Vertx vertx, Config config) {}

  /**
   * Starts one attempt. {@code headers} are the http target's headers, already resolved to text; the
   * target's own timeout (or the compute caps) bound the attempt.
   */
  public Execution start(Target target, Map<String, String> headers, Consumer<Progress> onProgress) {
    RunResult r = RunResult.failure(RunResult.Outcome.FAILED, target.type() + " targets are not built yet");
    return new Execution() {
      @Override
      public Future<RunResult> result() {
        return Future.succeededFuture(r);
      }

      @Override
      public void cancel() {}
    };
  }

  public void close() {}
}

package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.RunResult;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;

/** Test helper: waits (bounded) for a Vert.x future from the test thread. */
final class Run {
  private Run() {}

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }

  static RunResult await(Execution execution) {
    return await(execution.result());
  }
}

package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.RunResult;
import io.vertx.core.Future;

/** One attempt in flight: its result (never a failed future: errors are a {@link RunResult}) and a way to stop it. */
public interface Execution {
  Future<RunResult> result();

  /** Stops the attempt; its result completes with outcome CANCELLED if it had not finished. */
  void cancel();
}

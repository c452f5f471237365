package dev.nodepulse.tasks.status;

/**
 * Where the pipeline records what happens to tasks: the page and the bus, metrics, the run history on disk;
 * Kubernetes mode adds the status subresource and Events. A new sink is an addition: implement this and
 * pass it to the pipeline ({@code TasksVerticle}'s sink list); the scheduler is not edited.
 *
 * <p>Both methods are called on the pipeline's event loop, in order, and must not block (do blocking work on
 * a worker, keeping the order). A sink's failure is its own: it must not throw.
 */
public interface StatusSink {

  /** A task's status changed, or the task was removed ({@link TaskChange#deleted()}). */
  void changed(TaskChange change);

  /** One attempt ended (each retry is one; a MISSED run is one with duration 0). */
  void attempted(RunRecord run);

  /** Due times that were not run (MISSED: a burst told once, not once per due time). Default: nothing. */
  default void missed(MissedBurst burst) {}

  /** The task's history is no longer wanted (the task was removed or forgotten). Default: nothing kept. */
  default void forget(String key) {}
}

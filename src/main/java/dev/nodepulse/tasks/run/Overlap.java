package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.TaskSpec.ConcurrencyPolicy;

/** What a due time of a recurring task does, by its {@code spec.concurrencyPolicy} and whether a run is going. */
final class Overlap {
  enum Decision { RUN, SKIP, REPLACE }

  private Overlap() {}

  static Decision decide(ConcurrencyPolicy policy, boolean running) {
    if (!running) {
      return Decision.RUN;
    }
    return switch (policy) {
      case Forbid -> Decision.SKIP;
      case Allow -> Decision.RUN;
      case Replace -> Decision.REPLACE;
    };
  }

  /**
   * Whether the next due time is planned when a run starts (it may come while the run goes on), rather than when
   * it ends (Forbid: the due times passed during a run are skipped, as before the policy existed).
   */
  static boolean plansAhead(ConcurrencyPolicy policy) {
    return decide(policy, true) != Decision.SKIP;
  }
}

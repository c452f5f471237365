package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.util.Sha256;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * How far a task's due times are spread ({@code spec.jitter}): a stable amount in [0, jitter), whole milliseconds,
 * derived from a digest of the task's identity ({@code namespace/name}) and, for {@code nodes: all}, the node's name.
 *
 * <p>{@code nodes: all}: each node has its own amount, so 500 nodes do not hit a target in the same millisecond.
 * {@code nodes: one}: the amount comes from the task alone, so every agent computes the same jittered due time, and
 * the due time (the claim's key, {@code Idempotency-Key}, {@code lastRun.dueAt}) stays one identity across the
 * cluster. The jitter moves the due time itself, not only the start: lateness, {@code startingDeadline} and
 * claims count from the jittered time.
 */
public final class Jitter {
  private Jitter() {}

  /** The amount for the task {@code key} on {@code node}; zero without {@code spec.jitter}. */
  public static Duration of(TaskSpec spec, String key, String node) {
    long bound = spec.jitter().toMillis();
    if (bound <= 0) {
      return Duration.ZERO;
    }
    String identity = spec.nodes() == TaskSpec.Nodes.ALL ? key + "\u0000" + node : key;
    long h = ByteBuffer.wrap(Sha256.of(identity)).getLong();
    return Duration.ofMillis(Math.floorMod(h, bound));
  }

  /**
   * The amount every agent agrees on: the task's own for {@code nodes: one}; zero for {@code nodes: all}, whose
   * shared due times are the start of each node's spread (what the cluster's status shows).
   */
  public static Duration shared(TaskSpec spec, String key) {
    return spec.nodes() == TaskSpec.Nodes.ALL ? Duration.ZERO : of(spec, key, null);
  }
}

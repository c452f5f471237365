package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.Origin;
import java.time.Instant;
import java.util.List;

/**
 * Due times of one task that were not run, told at once (one Event, one metric step): {@code count} of them from
 * {@code from} to {@code to} (the first few in {@code named}), why, and the node that accounted for them.
 * {@code skipped}: passed over on purpose (a run of the task went on, concurrencyPolicy Forbid), not MISSED.
 */
public record MissedBurst(String namespace, String name, Origin origin, String target, long count, Instant from,
    Instant to, List<Instant> named, String reason, String node, Instant at, boolean skipped) {

  public MissedBurst {
    named = List.copyOf(named);
  }

  public String key() {
    return namespace + "/" + name;
  }
}

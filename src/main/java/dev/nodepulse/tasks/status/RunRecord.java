package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import java.time.Instant;

/**
 * One attempt that ended: which task ({@code namespace/name}, origin), the occurrence it belongs to
 * ({@code dueAt}), when it started and finished on which node, and its result (with the whole output, if any).
 * {@code startedAt} is null for a MISSED run (it never started); {@code latenessMs} is start minus due.
 */
public record RunRecord(String namespace, String name, Origin origin, String target, Instant dueAt,
    Instant startedAt, Instant finishedAt, long durationMs, long latenessMs, String node, RunResult result) {

  public String key() {
    return namespace + "/" + name;
  }
}

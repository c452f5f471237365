package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Durations;
import dev.nodepulse.tasks.model.TaskStatus.Phase;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a finished one-shot is deleted (spec.ttlAfterFinished), as a table on a fixed clock: now 12:00:00. */
class ExpiryTest {
  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

  @ParameterizedTest(name = "{0} finished {1} ttl {2} -> {3} {4}")
  @CsvSource(nullValues = "-", value = {
      // phase,  finishedAt,            ttl,  decision, at
      "Succeeded, 2026-12-04T11:59:00Z, 2s,  NOW,   -",
      "Failed,    2026-12-04T11:59:00Z, 1m,  NOW,   -", // exactly at the end of the ttl: now
      "Succeeded, 2026-12-04T11:59:59Z, 2s,  AT,    2026-12-04T12:00:01Z",
      "Failed,    2026-12-04T12:00:00Z, 0s,  NOW,   -",
      "Succeeded, 2026-12-04T12:00:00Z, 30d, AT,    2027-01-03T12:00:00Z",
      "Succeeded, 2026-12-04T11:00:00Z, -,   NEVER, -", // no ttl: kept
      "Running,   2026-12-04T11:00:00Z, 2s,  NEVER, -", // a retry is running
      "Scheduled, 2026-12-04T11:00:00Z, 2s,  NEVER, -", // a retry is planned
      "Pending,   2026-12-04T11:00:00Z, 2s,  NEVER, -", // another node ran it
      "Succeeded, -,                    2s,  NEVER, -"})
  void decides(Phase phase, Instant finishedAt, String ttl, Expiry.Decision.Kind kind, Instant at) {
    Expiry.Decision d = Expiry.decide(phase, finishedAt, ttl == null ? null : Durations.parse(ttl), NOW);
    assertThat(d.kind()).isEqualTo(kind);
    assertThat(d.at()).isEqualTo(at);
  }
}

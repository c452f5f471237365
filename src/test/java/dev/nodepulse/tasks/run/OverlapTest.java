package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.TaskSpec.ConcurrencyPolicy;
import dev.nodepulse.tasks.run.Overlap.Decision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The decision a due time takes by spec.concurrencyPolicy and whether a run of the task is going. */
class OverlapTest {
  @ParameterizedTest
  @CsvSource({
      "Forbid,  false, RUN,     false",
      "Forbid,  true,  SKIP,    false",
      "Allow,   false, RUN,     true",
      "Allow,   true,  RUN,     true",
      "Replace, false, RUN,     true",
      "Replace, true,  REPLACE, true",
  })
  void decides(ConcurrencyPolicy policy, boolean running, Decision decision, boolean plansAhead) {
    assertThat(Overlap.decide(policy, running)).isEqualTo(decision);
    assertThat(Overlap.plansAhead(policy)).isEqualTo(plansAhead);
  }
}

package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.run.DuePlan;
import dev.nodepulse.tasks.run.Jitter;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A jittered nodes: one task's due time is one identity on every agent: the shared grid counts from the spec's write
 * time moved by the task's jitter, as each agent's local due times are; the status shows the due times after it.
 */
class JitteredDueTest {
  static final Instant WRITTEN = Instant.parse("2026-11-30T04:00:00Z");

  @Test
  void twoAgentsThatSawTheTaskAtDifferentTimesAgreeOnTheJitteredDueTime() throws Exception {
    TaskSpec spec = TaskReader.read("metadata: {name: t}\nspec:\n  every: 10s\n  jitter: 9s\n"
        + "  target: {compute: {pi: {digits: 5}}}\n", TaskReader.Format.YAML).spec();
    Duration j = Jitter.shared(spec, "default/t");
    assertThat(j).isEqualTo(Jitter.of(spec, "default/t", "node-a")).isEqualTo(Jitter.of(spec, "default/t", "node-b"));
    DuePlan plan = new DuePlan(spec.timing(), j);
    // agent A saw it 0.4 s after it was written, agent B 1.2 s: their third local due times
    Instant a = plan.nextAfter(plan.nextAfter(plan.first(WRITTEN.plusMillis(400)), WRITTEN), WRITTEN.plusSeconds(15));
    Instant b = plan.nextAfter(plan.nextAfter(plan.first(WRITTEN.plusMillis(1200)), WRITTEN), WRITTEN.plusSeconds(15));
    Instant shared = WRITTEN.plus(j).plusSeconds(30);
    assertThat(KubeClaims.canonicalDue(spec.timing(), a, WRITTEN.plus(j))).isEqualTo(shared);
    assertThat(KubeClaims.canonicalDue(spec.timing(), b, WRITTEN.plus(j))).isEqualTo(shared);

    Status st = new Status();
    PlannedStatus.after(st, spec, "default/t", shared, shared.plusMillis(300));
    assertThat(st.nextRunAt).isEqualTo(shared.plusSeconds(10).toString());
    assertThat(st.nextRuns).hasSize(5).last().isEqualTo(shared.plusSeconds(50).toString());
    // a finished one-shot has none: both fields absent
    TaskSpec once = TaskReader.read("metadata: {name: o}\nspec:\n  delay: 10s\n  jitter: 9s\n"
        + "  target: {compute: {pi: {digits: 5}}}\n", TaskReader.Format.YAML).spec();
    PlannedStatus.after(st, once, "default/o", shared, shared);
    assertThat(st.nextRunAt).isNull();
    assertThat(st.nextRuns).isNull();
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskValidationException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Every agent agrees on a run's due time, whenever it saw the task; a ConfigMap entry's errors name the field. */
class CanonicalDueTest {
  static final Instant WRITTEN = Instant.parse("2026-11-30T04:00:00Z");

  @Test
  void aDelayCountsFromWhenTheSpecWasWrittenNotFromWhenThisAgentSawIt() {
    Schedule delay = new Schedule.Delay(Duration.ofSeconds(30));
    assertThat(KubeClaims.canonicalDue(delay, WRITTEN.plusMillis(30_700), WRITTEN)).isEqualTo(WRITTEN.plusSeconds(30));
    assertThat(KubeClaims.canonicalDue(delay, WRITTEN.plusMillis(31_900), WRITTEN)).isEqualTo(WRITTEN.plusSeconds(30));
  }

  @Test
  void anIntervalsOccurrenceIsTheNearestOneOnTheSharedGrid() {
    Schedule every = new Schedule.Every(Duration.ofSeconds(10));
    // agent A saw it 0.4 s late, agent B 1.2 s late: their 3rd local occurrences are the same shared one
    assertThat(KubeClaims.canonicalDue(every, WRITTEN.plusMillis(30_400), WRITTEN)).isEqualTo(WRITTEN.plusSeconds(30));
    assertThat(KubeClaims.canonicalDue(every, WRITTEN.plusMillis(31_200), WRITTEN)).isEqualTo(WRITTEN.plusSeconds(30));
    assertThat(KubeClaims.canonicalDue(every, WRITTEN.plusMillis(2_000), WRITTEN)).as("never before the first")
        .isEqualTo(WRITTEN.plusSeconds(10));
  }

  @Test
  void atAndCronAreExactAlready() {
    Instant due = WRITTEN.plusSeconds(77);
    assertThat(KubeClaims.canonicalDue(new Schedule.At(due), due, WRITTEN)).isEqualTo(due);
    assertThat(KubeClaims.canonicalDue(new Schedule.Every(Duration.ofSeconds(5)), due, null)).isEqualTo(due);
  }

  @Test
  void aConfigMapEntryIsReadByThePipelinesReaderAndItsErrorNamesTheField() throws Exception {
    var task = Wire.read("shop", "jobs.warm", 1, "delay: 5s\ntarget: {compute: {pi: {digits: 10}}}\n");
    assertThat(task.key()).isEqualTo("shop/jobs.warm");
    assertThat(task.spec().timing()).isEqualTo(new Schedule.Delay(Duration.ofSeconds(5)));
    assertThatThrownBy(() -> Wire.read("shop", "jobs.bad", 1, "delay: 5s\ntarget: {compute: {pi: {digits: 0}}}\n"))
        .isInstanceOfSatisfying(TaskValidationException.class, e ->
            assertThat(Wire.message(e)).startsWith("spec.target.compute.pi.digits: "));
    assertThatThrownBy(() -> Wire.read("shop", "jobs.inject", 1, "delay: 5s\n  x: [\ntarget: 1\n"))
        .isInstanceOf(TaskValidationException.class);
  }
}

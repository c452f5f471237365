package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.ResultStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.crd.Status;
import org.junit.jupiter.api.Test;

/** How an attempt's result is counted into a nodes: one DelayedTask's status ({@link ResultStatus#counted}). */
class ResultStatusTest {
  static Status.LastRun run(String due, String outcome) {
    Status.LastRun l = new Status.LastRun();
    l.dueAt = due;
    l.outcome = outcome;
    return l;
  }

  static Status status(long runs, long attempts, Status.LastRun last) {
    Status st = new Status();
    st.runs = runs;
    st.attempts = attempts;
    st.lastRun = last;
    return st;
  }

  @Test
  void aNewDueTimeIsOneMoreRunAndBecomesTheLastRun() {
    Status st = status(4, 5, run("2026-12-05T10:00:00Z", "SUCCEEDED"));
    assertThat(ResultStatus.counted(st, run("2026-12-05T10:00:02Z", "SUCCEEDED"), true)).isTrue();
    assertThat(st.runs).isEqualTo(5);
    assertThat(st.attempts).isEqualTo(6);
    assertThat(st.lastRun.dueAt).isEqualTo("2026-12-05T10:00:02Z");
  }

  @Test
  void aRetryOfTheLastDueTimeIsOneMoreAttemptNotARun() {
    Status st = status(4, 5, run("2026-12-05T10:00:00Z", "FAILED"));
    assertThat(ResultStatus.counted(st, run("2026-12-05T10:00:00Z", "SUCCEEDED"), false)).isTrue();
    assertThat(st.runs).isEqualTo(4);
    assertThat(st.attempts).isEqualTo(6);
    assertThat(st.lastRun.outcome).isEqualTo("SUCCEEDED");
  }

  @Test
  void aResultWrittenLateAfterALaterRunCountsButDoesNotBecomeTheLastRun() {
    // the write of the run due at 10:00:00 was held back by an outage; the run due at 10:00:08 was written first
    Status st = status(4, 5, run("2026-12-05T10:00:08Z", "SUCCEEDED"));
    assertThat(ResultStatus.counted(st, run("2026-12-05T10:00:00Z", "SUCCEEDED"), true)).isFalse();
    assertThat(st.runs).as("the late run is counted").isEqualTo(5);
    assertThat(st.attempts).isEqualTo(6);
    assertThat(st.lastRun.dueAt).as("the later run stays the last").isEqualTo("2026-12-05T10:00:08Z");

    Status retried = status(5, 6, run("2026-12-05T10:00:08Z", "SUCCEEDED"));
    assertThat(ResultStatus.counted(retried, run("2026-12-05T10:00:00Z", "SUCCEEDED"), false)).isFalse();
    assertThat(retried.runs).as("a late retry of a run counted before is an attempt only").isEqualTo(5);
    assertThat(retried.attempts).isEqualTo(7);
  }

  @Test
  void theFirstResultOfATaskIsItsFirstRun() {
    Status st = new Status();
    assertThat(ResultStatus.counted(st, run("2026-12-05T10:00:00Z", "FAILED"), true)).isTrue();
    assertThat(st.runs).isEqualTo(1);
    assertThat(st.attempts).isEqualTo(1);
  }
}

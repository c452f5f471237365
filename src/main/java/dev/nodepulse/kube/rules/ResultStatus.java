package dev.nodepulse.kube.rules;

import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.status.MissedBurst;
import dev.nodepulse.tasks.status.RunRecord;
import java.time.Instant;

/**
 * What a run's result and a burst of due times not run put in a DelayedTask's status: the counters, the last run
 * (clipped), the words of a MISSED Event. Pure; the status sink writes it.
 */
public final class ResultStatus {
  private ResultStatus() {}

  /**
   * Counts an attempt's result into {@code st}: one more attempt; one more run for the first recorded attempt of its
   * due time (a retry, the same due time, is not one); {@code last} becomes the last run. A result written late (an
   * outage held its write back) after a later run's result counts as well (as a run when {@code first}: the first
   * attempt of its due time on this agent), but the later run stays the last: false then.
   */
  public static boolean counted(Status st, Status.LastRun last, boolean first) {
    long runs = st.runs == null ? 0 : st.runs;
    st.attempts = (st.attempts == null ? 0 : st.attempts) + 1;
    Instant recorded = st.lastRun == null ? null : Wire.instant(st.lastRun.dueAt);
    if (recorded != null && recorded.isAfter(Instant.parse(last.dueAt))) {
      st.runs = runs + (first ? 1 : 0);
      return false;
    }
    boolean newRun = st.lastRun == null || !last.dueAt.equals(st.lastRun.dueAt);
    st.lastRun = last;
    st.runs = runs + (newRun ? 1 : 0);
    return true;
  }

  public static Status.LastRun lastRun(RunRecord run, Instant due) {
    Status.LastRun l = new Status.LastRun();
    l.dueAt = due.toString();
    l.startedAt = run.startedAt() == null ? null : run.startedAt().toString();
    l.finishedAt = run.finishedAt() == null ? null : run.finishedAt().toString();
    l.durationMs = run.durationMs();
    l.node = run.node();
    l.outcome = run.result().outcome().name();
    l.httpStatus = run.result().httpStatus();
    l.bytes = run.result().bytes();
    l.result = run.result().result() == null ? null : DerivedStatus.clip(run.result().result());
    l.error = run.result().error() == null ? null : DerivedStatus.clip(run.result().error());
    return l;
  }

  /** The record of a run whose agent stopped during it. */
  public static Status.LastRun lost(Instant due, String node, Instant now) {
    Status.LastRun l = new Status.LastRun();
    l.dueAt = due.toString();
    l.finishedAt = now.toString();
    l.durationMs = 0L;
    l.node = node;
    l.outcome = "LOST";
    l.error = "the agent on " + node + " stopped during the run (its Lease expired); its outcome is unknown and it "
        + "is not repeated (at most once; set retry to run it again)";
    return l;
  }

  /** "16 due times MISSED on node-a (…): 12:00:00Z, 12:00:02Z, … and 4 more". */
  public static String missedWords(MissedBurst m) {
    StringBuilder b = new StringBuilder().append(m.count()).append(m.count() == 1 ? " due time" : " due times")
        .append(m.skipped() ? " skipped (from " : " MISSED (from ").append(m.from()).append(" to ").append(m.to()).append(", seen by ").append(m.node())
        .append("): ").append(m.reason()).append("; due at ");
    for (int i = 0; i < m.named().size(); i++) {
      b.append(i == 0 ? "" : ", ").append(m.named().get(i));
    }
    if (m.count() > m.named().size()) {
      b.append(" and ").append(m.count() - m.named().size()).append(" more");
    }
    return b.toString();
  }
}

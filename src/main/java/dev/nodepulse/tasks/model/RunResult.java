package dev.nodepulse.tasks.model;

/**
 * What one attempt of a run gave. {@code httpStatus} is null for non-http targets; {@code result} is a short
 * excerpt of the reply (for pi, the digits "3.1415..."); {@code error} is null on success.
 */
public record RunResult(Outcome outcome, Integer httpStatus, long bytes, String result, String error) {

  /** How an attempt ended; the lower-case name is the {@code outcome} label of nodepulse_task_runs_total. */
  public enum Outcome { SUCCEEDED, FAILED, TIMEOUT, DENIED, CANCELLED, MISSED }

  public static RunResult success(Integer httpStatus, long bytes, String result) {
    return new RunResult(Outcome.SUCCEEDED, httpStatus, bytes, result, null);
  }

  public static RunResult failure(Outcome outcome, String error) {
    return new RunResult(outcome, null, 0, null, error);
  }

  public boolean succeeded() {
    return outcome == Outcome.SUCCEEDED;
  }
}

package dev.nodepulse.tasks.model;

/**
 * What one attempt of a run gave. {@code httpStatus} is null for non-http targets; {@code result} is a short
 * excerpt of the reply (for pi, the digits "3.1415..."); {@code output} is the whole reply as far as the
 * target read it (pi's digits, an HTTP body up to 1 MiB, a TCP reply line), null when there is none;
 * {@code error} is null on success.
 */
public record RunResult(Outcome outcome, Integer httpStatus, long bytes, String result, String error,
    String output) {

  /** How an attempt ended; the lower-case name is the {@code outcome} label of nodepulse_task_runs_total. */
  public enum Outcome { SUCCEEDED, FAILED, TIMEOUT, DENIED, CANCELLED, MISSED }

  public RunResult(Outcome outcome, Integer httpStatus, long bytes, String result, String error) {
    this(outcome, httpStatus, bytes, result, error, null);
  }

  public static RunResult success(Integer httpStatus, long bytes, String result) {
    return new RunResult(Outcome.SUCCEEDED, httpStatus, bytes, result, null, null);
  }

  public static RunResult failure(Outcome outcome, String error) {
    return new RunResult(outcome, null, 0, null, error, null);
  }

  /** The same result carrying the whole output. */
  public RunResult withOutput(String whole) {
    return new RunResult(outcome, httpStatus, bytes, result, error, whole);
  }

  public boolean succeeded() {
    return outcome == Outcome.SUCCEEDED;
  }
}

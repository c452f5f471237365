package dev.nodepulse.tasks.run;

/** A request the pipeline refuses: the HTTP-like status (404, 409, 400) and the error text for the body. */
public final class Refusal extends RuntimeException {
  private final int status;

  public Refusal(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}

package dev.nodepulse.testing;

import java.time.Duration;
import java.time.LocalTime;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Waits out the last minutes before local midnight before an integration test starts. fabric8's kube-api-test (7.6.1)
 * polls for a starting API server until {@code LocalTime.now().plus(startupTimeout)}: started within the timeout of
 * midnight, that deadline wraps to just after 00:00, so the first poll that finds the server not ready yet gives up
 * at once ("Kube API Server did not start properly"), failing every test class that starts one then. Registered for
 * every test by auto-detection (src/test/resources/junit-platform.properties); acts only on classes named {@code *IT}
 * (the ones that start API servers), before the class and before each test (a test may start one itself).
 */
public final class MidnightGuard implements BeforeAllCallback, BeforeEachCallback {
  /** The longest startup timeout any test gives an API server (120 s), and a margin. */
  static final Duration WINDOW = Duration.ofSeconds(130);

  @Override
  public void beforeAll(ExtensionContext context) throws InterruptedException {
    guard(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) throws InterruptedException {
    guard(context);
  }

  private static void guard(ExtensionContext context) throws InterruptedException {
    if (!context.getRequiredTestClass().getSimpleName().endsWith("IT")) {
      return;
    }
    Duration wait = waitAt(LocalTime.now());
    if (!wait.isZero()) {
      System.err.println("MidnightGuard: waiting " + wait.toSeconds() + " s for local midnight to pass "
          + "(kube-api-test cannot start an API server in the minutes before it)");
      Thread.sleep(wait.toMillis());
    }
  }

  /** How long to wait at {@code now}: until a second past midnight when within {@link #WINDOW} of it, else zero. */
  static Duration waitAt(LocalTime now) {
    Duration left = Duration.between(now, LocalTime.MAX).plusNanos(1); // to the next 00:00
    return left.compareTo(WINDOW) <= 0 ? left.plusSeconds(1) : Duration.ZERO;
  }
}

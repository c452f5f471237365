package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * One compute attempt: pi to N digits on its own thread, capped in digits and time, reporting progress
 * at most every {@link #PROGRESS_EVERY_MS} ms on the caller's Vert.x context, stopped promptly by cancel.
 */
final class ComputeTarget {
  static final long PROGRESS_EVERY_MS = 250;
  static final int EXCERPT_CHARS = 100;

  private final int maxDigits;
  private final Duration maxTime;
  private final ExecutorService threads;

  ComputeTarget(int maxDigits, Duration maxTime, ExecutorService threads) {
    this.maxDigits = maxDigits;
    this.maxTime = maxTime;
    this.threads = threads;
  }

  void run(Attempt attempt, Target.Compute target, Consumer<Progress> onProgress) {
    int digits = target.piDigits();
    if (digits > maxDigits) {
      attempt.fail(Outcome.DENIED, "compute.pi.digits " + digits + " is over the cap --max-pi-digits=" + maxDigits);
      return;
    }
    attempt.deadline(maxTime, Outcome.TIMEOUT, "pi to " + digits + " digits did not finish within --max-compute-time="
        + maxTime.toMillis() + "ms");
    long[] next = {System.nanoTime()};
    threads.execute(() -> {
      try {
        String pi = Pi.digits(digits, () -> attempt.isDone() || Thread.currentThread().isInterrupted(), (percent, known) -> {
          long now = System.nanoTime();
          if (now - next[0] >= 0) {
            next[0] = now + PROGRESS_EVERY_MS * 1_000_000;
            Progress p = new Progress(percent, known.get());
            attempt.context().runOnContext(v -> {
              if (!attempt.isDone()) {
                onProgress.accept(p);
              }
            });
          }
        });
        String excerpt = pi.length() <= EXCERPT_CHARS + 2 ? pi
            : pi.substring(0, EXCERPT_CHARS + 2) + "… (" + digits + " digits)";
        attempt.finish(RunResult.success(null, digits, excerpt).withOutput(pi));
      } catch (CancellationException e) {
        // the attempt already ended (cancel or time cap)
      } catch (RuntimeException | OutOfMemoryError e) {
        attempt.fail(Outcome.FAILED, "pi computation failed: " + HttpTarget.describe(e));
      }
    });
  }
}

package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One attempt in flight: completes once (first of result, deadline, cancel), always on the caller's
 * Vert.x context, then runs the target's clean-up (reset a request, close a socket, stop a thread).
 */
final class Attempt implements Execution {
  private final Vertx vertx;
  private final Context context;
  private final Promise<RunResult> promise = Promise.promise();
  private final AtomicBoolean done = new AtomicBoolean();
  private volatile Runnable onStop = () -> {};
  private volatile long timer = -1;

  Attempt(Vertx vertx, Context context) {
    this.vertx = vertx;
    this.context = context;
  }

  Context context() {
    return context;
  }

  /** Ends the attempt with {@code outcome} when {@code limit} passes first. */
  Attempt deadline(Duration limit, Outcome outcome, String error) {
    context.runOnContext(v -> {
      if (!done.get()) {
        timer = vertx.setTimer(Math.max(1, limit.toMillis()), id -> finish(RunResult.failure(outcome, error)));
      }
    });
    return this;
  }

  /** What to undo when the attempt ends, whichever way; runs on the context, must not block. */
  void onStop(Runnable action) {
    this.onStop = action;
  }

  boolean isDone() {
    return done.get();
  }

  /** Completes the attempt unless it already ended; safe from any thread. */
  boolean finish(RunResult result) {
    if (!done.compareAndSet(false, true)) {
      return false;
    }
    context.runOnContext(v -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      try {
        onStop.run();
      } finally {
        promise.complete(result);
      }
    });
    return true;
  }

  void fail(Outcome outcome, String error) {
    finish(RunResult.failure(outcome, error));
  }

  @Override
  public Future<RunResult> result() {
    return promise.future();
  }

  @Override
  public void cancel() {
    fail(Outcome.CANCELLED, "cancelled");
  }

  /** At most {@code max} printable characters of {@code text}; control characters become spaces. */
  /**
   * A reply as text when it is UTF-8 text, else null. {@code cut}: the reply was cut at a byte limit, so a
   * character split by the cut at the very end is dropped, not taken for binary. NUL and the C0 controls other
   * than tab, CR, LF and form feed make it binary too (gzip, images, protobuf): such a reply is never stored
   * with replacement characters.
   */
  static String text(byte[] bytes, boolean cut) {
    var decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    var in = java.nio.ByteBuffer.wrap(bytes);
    var out = java.nio.CharBuffer.allocate(bytes.length);
    var r = decoder.decode(in, out, !cut);
    if (r.isError() || (!cut && in.hasRemaining()) || in.remaining() > 3) {
      return null;
    }
    out.flip();
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7F) {
        return null;
      }
    }
    return out.toString();
  }

  /** What is stored instead of a reply that is not text: its size and type, stated. */
  static String binary(long bytes, String contentType) {
    return "[binary reply: " + bytes + " bytes" + (contentType == null || contentType.isBlank() ? ""
        : ", Content-Type " + excerpt(contentType, 100)) + "; not shown]";
  }

  static String excerpt(String text, int max) {
    StringBuilder b = new StringBuilder(Math.min(max, text.length()));
    for (int i = 0; i < text.length() && b.length() < max; i++) {
      char c = text.charAt(i);
      b.append(Character.isISOControl(c) || c == '\uFFFD' ? ' ' : c);
    }
    return b.toString().strip();
  }
}

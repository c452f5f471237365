package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.DestinationPolicy.Allowed;
import dev.nodepulse.tasks.target.DestinationPolicy.Denied;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;

/**
 * One tcp attempt: check the destination, connect to the checked address, write the payload, optionally
 * read one reply line (up to {@link #MAX_REPLY} bytes; a line that is not UTF-8 text is stated by its size, not
 * shown), close. The timeout covers the whole exchange.
 */
final class TcpTarget {
  static final int MAX_REPLY = 64 * 1024;

  /** The target's host and port, as the task reader checked and split them. */
  record HostPort(String host, int port) {}

  private final Vertx vertx;
  private final NetClient client;
  private final DestinationPolicy policy;

  TcpTarget(Vertx vertx, NetClient client, DestinationPolicy policy) {
    this.vertx = vertx;
    this.client = client;
    this.policy = policy;
  }

  void run(Attempt attempt, Target.Tcp target) {
    Duration timeout = target.timeout() == null ? Target.Tcp.DEFAULT_TIMEOUT : target.timeout();
    String what = target.readReply() ? "no reply line" : "not sent";
    attempt.deadline(timeout, Outcome.TIMEOUT, what + " within " + timeout.toMillis() + "ms");
    HostPort hp = new HostPort(target.host(), target.port());
    policy.resolve(vertx, hp.host(), hp.port()).onComplete(decided -> {
      if (attempt.isDone()) {
        return;
      }
      if (decided.failed()) {
        attempt.fail(Outcome.FAILED, "cannot resolve " + hp.host() + ": " + HttpTarget.describe(decided.cause()));
        return;
      }
      switch (decided.result()) {
        case Denied d -> attempt.fail(Outcome.DENIED, d.reason());
        case Allowed a -> connect(attempt, target, hp, a);
      }
    });
  }

  private void connect(Attempt attempt, Target.Tcp target, HostPort hp, Allowed to) {
    String where = DestinationPolicy.hostText(to.address()) + ":" + hp.port();
    client.connect(SocketAddress.inetSocketAddress(hp.port(), to.address().getHostAddress()), hp.host())
        .onComplete(connected -> {
          if (connected.failed()) {
            attempt.fail(Outcome.FAILED, "connection to " + where + " failed: "
                + HttpTarget.describe(connected.cause()));
            return;
          }
          NetSocket socket = connected.result();
          attempt.onStop(socket::close);
          if (attempt.isDone()) {
            socket.close();
            return;
          }
          exchange(attempt, target, socket, where);
        });
  }

  private void exchange(Attempt attempt, Target.Tcp target, NetSocket socket, String where) {
    Buffer payload = Buffer.buffer(target.payload() == null ? "" : target.payload(), "UTF-8");
    if (!target.readReply()) {
      socket.write(payload).onComplete(written -> attempt.finish(written.succeeded()
          ? RunResult.success(null, payload.length(), null)
          : RunResult.failure(Outcome.FAILED, "writing to " + where + " failed: "
              + HttpTarget.describe(written.cause()))));
      return;
    }
    Buffer reply = Buffer.buffer();
    socket.exceptionHandler(e -> attempt.fail(Outcome.FAILED, "connection to " + where + " failed: "
        + HttpTarget.describe(e)));
    socket.handler(chunk -> {
      for (int i = 0; i < chunk.length(); i++) {
        byte b = chunk.getByte(i);
        if (b == '\n') {
          attempt.finish(replied(reply, payload));
          return;
        }
        if (reply.length() >= MAX_REPLY) {
          attempt.fail(Outcome.FAILED, "reply from " + where + " has no newline within " + MAX_REPLY + " bytes");
          return;
        }
        reply.appendByte(b);
      }
    });
    socket.closeHandler(v -> attempt.finish(reply.length() > 0
        ? replied(reply, payload)
        : RunResult.failure(Outcome.FAILED, "connection to " + where + " closed without a reply")));
    socket.write(payload).onFailure(e -> attempt.fail(Outcome.FAILED, "writing to " + where + " failed: "
        + HttpTarget.describe(e)));
  }

  private static RunResult replied(Buffer reply, Buffer payload) {
    String line = Attempt.text(reply.getBytes(), false);
    long bytes = payload.length() + (long) reply.length();
    if (line == null) { // not text: stated, never stored with replacement characters
      String stated = Attempt.binary(reply.length(), null);
      return RunResult.success(null, bytes, stated).withOutput(stated);
    }
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    return RunResult.success(null, bytes, Attempt.excerpt(line, HttpTarget.EXCERPT_CHARS)).withOutput(line);
  }
}

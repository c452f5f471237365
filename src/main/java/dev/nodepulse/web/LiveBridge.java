package dev.nodepulse.web;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bridge's event handler: counts live clients (publishing {@code {"count": n}} on every change)
 * and keeps each client's outbound queue bounded.
 *
 * <p>The SockJS WebSocket transport hands every frame straight to the connection, so a client that
 * stops reading would otherwise pile frames up in the server's outbound buffer without limit. Here
 * every frame for a client is written by this handler, which tracks how many of that client's writes
 * the connection has not yet flushed; past {@link #MAX_IN_FLIGHT} the new frame is dropped for that
 * client only (samples are snapshots: the next one supersedes it). Other clients are not affected:
 * each write is asynchronous and runs on its own connection's event loop. Clients that stop pinging
 * are closed by the bridge's ping timeout.
 */
final class LiveBridge implements Handler<BridgeEvent> {
  /** Frames written to one client and not yet flushed to its connection, beyond which frames drop. */
  static final int MAX_IN_FLIGHT = 16;

  private final Vertx vertx;
  private final String clientsAddress;
  private final int maxInFlight;
  private final Map<SockJSSocket, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger clients = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();

  LiveBridge(Vertx vertx, String clientsAddress, int maxInFlight) {
    this.vertx = vertx;
    this.clientsAddress = clientsAddress;
    this.maxInFlight = maxInFlight;
  }

  @Override
  public void handle(BridgeEvent event) {
    switch (event.type()) {
      case SOCKET_CREATED -> {
        inFlight.put(event.socket(), new AtomicInteger());
        publishCount(clients.incrementAndGet());
        event.complete(true);
      }
      case SOCKET_CLOSED -> {
        if (inFlight.remove(event.socket()) != null) {
          publishCount(clients.decrementAndGet());
        }
        event.complete(true);
      }
      case RECEIVE -> {
        deliver(event.socket(), event.getRawMessage());
        // the frame was written above (or dropped): the bridge must not write it again
        event.complete(false);
      }
      case SOCKET_IDLE -> {
        // no ping within the timeout: the bridge closes the socket politely, but a client that does not
        // read never takes the close frame either, so its connection is dropped outright
        AtomicInteger pending = inFlight.get(event.socket());
        if (pending != null && pending.get() > 0) {
          closeConnection(event.socket());
        }
        event.complete(true);
      }
      // inbound sends and publishes are refused by the permitted options; the rest pass
      default -> event.complete(true);
    }
  }

  private void deliver(SockJSSocket socket, JsonObject frame) {
    AtomicInteger pending = inFlight.get(socket);
    if (pending == null) {
      return;
    }
    if (pending.get() >= maxInFlight) {
      dropped.incrementAndGet();
      return;
    }
    pending.incrementAndGet();
    socket.write(frame.toBuffer()).onComplete(ignored -> pending.decrementAndGet());
  }

  /**
   * Closes the client's TCP connection at once, dropping what is queued for it. The public close is
   * graceful (it queues a close frame behind the stuck data and waits for it), so this closes the
   * channel below Vert.x's connection handler.
   */
  private static void closeConnection(SockJSSocket socket) {
    var rc = socket.routingContext();
    var connection = rc == null ? null : rc.request().connection();
    if (connection instanceof io.vertx.core.net.impl.ConnectionBase base) {
      // from the first handler straight to the socket: past Vert.x's graceful close
      var first = base.channel().pipeline().firstContext();
      if (first != null) {
        first.close();
      }
    } else if (connection != null) {
      connection.close();
    }
  }

  private void publishCount(int count) {
    vertx.eventBus().publish(clientsAddress, new JsonObject().put("count", count));
  }

  /** Live clients now. */
  int clients() {
    return clients.get();
  }

  /** Frames dropped so far because a client's queue was full. */
  long dropped() {
    return dropped.get();
  }

  /** The largest number of frames any one client has in flight now. */
  int maxInFlightNow() {
    return inFlight.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
  }
}

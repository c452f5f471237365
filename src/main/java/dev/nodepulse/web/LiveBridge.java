package dev.nodepulse.web;

import dev.nodepulse.bus.ClusterView;
import dev.nodepulse.bus.LiveClients;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bridge's event handler: counts live clients (publishing {@code {"count": n}} on every change), counts the
 * clients subscribed to the cluster view's summary (publishing {@code {"count": n}} on {@link ClusterView#VIEWERS}:
 * the cluster concern asks its peers only while someone views) and keeps each client's outbound queue bounded.
 *
 * <p>Every client's socket is a {@link CountedSocket}, which counts the frames written to it that its transport
 * has not taken yet: the bridge's answers (its refusals of what the client sends) and the deliveries alike. Past
 * {@link #MAX_IN_FLIGHT} a delivery is dropped for that client only (samples are snapshots: the next one
 * supersedes it), and a client that keeps sending while its answers are not read is closed. Here every delivery
 * is written by this handler through that count. Other clients are not affected: each write is asynchronous and
 * runs on its own connection's event loop. Clients that stop pinging are closed by the bridge's ping timeout.
 */
final class LiveBridge implements Handler<BridgeEvent> {
  /** Frames written to one client and not yet taken by its transport, beyond which frames drop. */
  static final int MAX_IN_FLIGHT = 16;

  private final Vertx vertx;
  private final String clientsAddress;
  private final Set<CountedSocket> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger clients = new AtomicInteger();
  /** Clients subscribed to {@link ClusterView#SUMMARY}. */
  private final Set<CountedSocket> viewers = ConcurrentHashMap.newKeySet();

  LiveBridge(Vertx vertx, String clientsAddress) {
    this.vertx = vertx;
    this.clientsAddress = clientsAddress;
  }

  @Override
  public void handle(BridgeEvent event) {
    if (!(event.socket() instanceof CountedSocket socket)) {
      event.complete(false); // every socket the bridge sees is counted (LiveRoutes)
      return;
    }
    switch (event.type()) {
      case SOCKET_CREATED -> {
        live.add(socket);
        publishCount(clients.incrementAndGet());
        event.complete(true);
      }
      case SOCKET_CLOSED -> {
        if (live.remove(socket)) {
          publishCount(clients.decrementAndGet());
        }
        viewing(socket, false);
        event.complete(true);
      }
      case REGISTER, UNREGISTER -> {
        if (event.getRawMessage() != null && ClusterView.SUMMARY.equals(event.getRawMessage().getString("address"))) {
          viewing(socket, event.type() == BridgeEventType.REGISTER && live.contains(socket));
        }
        event.complete(true);
      }
      case RECEIVE -> {
        if (live.contains(socket)) {
          socket.offer(event.getRawMessage().toBuffer());
        }
        // the frame was written above (or dropped): the bridge must not write it again
        event.complete(false);
      }
      case SOCKET_IDLE -> {
        // no ping within the timeout: the bridge closes the socket politely, but a client that does not
        // read never takes the close frame either, so its connection is dropped outright
        if (socket.inFlight() > 0 || socket.writeQueueFull()) {
          socket.closeNow();
        }
        event.complete(true);
      }
      // inbound sends and publishes are refused by the permitted options; the rest pass
      default -> event.complete(true);
    }
  }

  private void viewing(CountedSocket socket, boolean subscribed) {
    if (subscribed ? viewers.add(socket) : viewers.remove(socket)) {
      vertx.eventBus().publish(ClusterView.VIEWERS, new JsonObject().put("count", viewers.size()));
    }
  }

  private void publishCount(int count) {
    vertx.eventBus().publish(clientsAddress, new LiveClients(count).toJson());
  }

  /** Live clients now. */
  int clients() {
    return clients.get();
  }
}

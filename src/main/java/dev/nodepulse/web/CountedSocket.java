package dev.nodepulse.web;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live client's SockJS socket as the bridge sees it: every frame written to the client, the bridge's own
 * answers (refusals, errors) and its deliveries alike, is counted until its transport has taken it, so that one
 * bound covers everything queued for the client on every transport (WebSocket, raw WebSocket, XHR streaming and
 * polling, EventSource: on the HTTP transports a frame waits in the session until the client polls).
 *
 * <p>Past {@code max} frames in flight a delivery ({@link #offer}) is dropped for this client only (a sample is
 * superseded by the next one); an answer ({@link #write}, which the bridge calls for each frame the client sends)
 * means that the client keeps sending without reading what it is told, and it is closed at once. Runs on the
 * client's event loop.
 */
final class CountedSocket extends SockJSSocketBase {
  /** The base's own write handler on the event bus is not wanted: the bridge writes, nothing else. */
  private static final SockJSHandlerOptions NO_WRITE_HANDLER = new SockJSHandlerOptions().setRegisterWriteHandler(false);

  private static final Logger LOG = LoggerFactory.getLogger(CountedSocket.class);

  private final SockJSSocket socket;
  private final int max;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean overrun;

  CountedSocket(Vertx vertx, SockJSSocket socket, int max) {
    // the bridge takes every socket for the transports' base class (it closes an expired one through it)
    super(vertx, socket.routingContext(), NO_WRITE_HANDLER);
    this.socket = socket;
    this.max = max;
  }

  /** A delivery: written unless {@code max} frames are in flight; false when dropped. */
  boolean offer(Buffer frame) {
    if (overrun || inFlight.get() >= max) {
      return false;
    }
    counted(frame);
    return true;
  }

  /** An answer from the bridge: written, or the client closed at once when it has {@code max} frames unread. */
  @Override
  public Future<Void> write(Buffer data) {
    if (overrun) {
      return Future.failedFuture("the client was closed: it did not read its answers");
    }
    if (inFlight.get() >= max) {
      overrun = true;
      closeNow();
      return Future.failedFuture("the client was closed: it did not read its answers");
    }
    return counted(data);
  }

  private Future<Void> counted(Buffer frame) {
    inFlight.incrementAndGet();
    return socket.write(frame).onComplete(ignored -> inFlight.decrementAndGet());
  }

  /** Frames written to the client that its transport has not taken yet. */
  int inFlight() {
    return inFlight.get();
  }

  /** Whether this client was closed for sending faster than it read its answers. */
  boolean overrun() {
    return overrun;
  }

  /**
   * Closes the client at once, dropping what is queued for it. On a WebSocket the public close is graceful (it
   * queues a close frame behind the stuck data and waits for it), so this closes the channel below Vert.x'
   * connection handler; a session of the HTTP transports is closed, which drops its queue.
   */
  void closeNow() {
    RoutingContext rc = socket.routingContext();
    var connection = rc == null ? null : rc.request().connection();
    if (connection instanceof io.vertx.core.net.impl.ConnectionBase base && isWebSocket()) {
      // from the first handler straight to the socket: past Vert.x's graceful close
      var first = base.channel().pipeline().firstContext();
      if (first != null) {
        first.close();
        return;
      }
    }
    socket.close();
  }

  private boolean isWebSocket() {
    String uri = socket.uri();
    return uri != null && uri.endsWith("/websocket");
  }

  /**
   * The bridge's exception handler logs every failure as an ERROR with a stack trace, an ordinary disconnect too; its
   * close handler does the clean-up. So a disconnect is logged at DEBUG here, anything else (a frame too large or
   * corrupt) as one WARN line, and the client is closed, which the bridge's close handler cleans up after.
   */
  @Override
  public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
    socket.exceptionHandler(handler == null ? null : err -> {
      if (err instanceof HttpClosedException || err instanceof IOException) {
        LOG.debug("live client {} went away: {}", socket.remoteAddress(), err.toString());
      } else {
        LOG.warn("live client {}: {}; closing it", socket.remoteAddress(), err.toString());
        closeNow();
      }
    });
    return this;
  }

  @Override
  public SockJSSocket handler(Handler<Buffer> handler) {
    socket.handler(handler);
    return this;
  }

  @Override
  public SockJSSocket pause() {
    socket.pause();
    return this;
  }

  @Override
  public SockJSSocket resume() {
    socket.resume();
    return this;
  }

  @Override
  public SockJSSocket fetch(long amount) {
    socket.fetch(amount);
    return this;
  }

  @Override
  public SockJSSocket endHandler(Handler<Void> handler) {
    socket.endHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket closeHandler(Handler<Void> handler) {
    socket.closeHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket setWriteQueueMaxSize(int maxSize) {
    socket.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return inFlight.get() >= max || socket.writeQueueFull();
  }

  @Override
  public SockJSSocket drainHandler(Handler<Void> handler) {
    socket.drainHandler(handler);
    return this;
  }

  @Override
  public String writeHandlerID() {
    return socket.writeHandlerID();
  }

  @Override
  public Future<Void> end() {
    return socket.end();
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public void closeAfterSessionExpired() {
    if (socket instanceof SockJSSocketBase base) {
      base.closeAfterSessionExpired();
    } else {
      socket.close();
    }
  }

  @Override
  public void close(int statusCode, String reason) {
    socket.close(statusCode, reason);
  }

  @Override
  public SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return socket.localAddress();
  }

  @Override
  public MultiMap headers() {
    return socket.headers();
  }

  @Override
  public String uri() {
    return socket.uri();
  }

  @Override
  public RoutingContext routingContext() {
    return socket.routingContext();
  }

  @Override
  public Session webSession() {
    return socket.webSession();
  }

  @Override
  public User webUser() {
    return socket.webUser();
  }
}

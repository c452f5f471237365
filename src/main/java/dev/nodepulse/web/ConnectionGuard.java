package dev.nodepulse.web;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one listener's connections bounded so that idle and slow clients cannot use up the agent's open
 * files: a connection must deliver each request's headers within the header timeout (counted from the
 * connection, then from the previous reply), which closes slowloris clients that trickle bytes; and at the
 * cap a new connection displaces the one that has waited longest without a request in flight (or is refused
 * when every connection is busy). Connections upgraded to WebSocket are left to the idle timeout and the
 * live page's own ping. Runs on the listener's event loop, except its {@link AcceptGate}.
 *
 * <p>The event loop learns of a connection only after the acceptor thread has accepted it (and used a file for
 * it): a burst of thousands of connections in one instant would be accepted faster than the event loop closes
 * the surplus, up to the open-file limit, starving the sampler and the stores. So the listener's first
 * connection installs an {@link AcceptGate} on the listening socket's channel, which counts open connections
 * where they are accepted and stops accepting (the kernel's backlog holds or refuses the rest) once a quarter
 * more than the cap are open, until the event loop has brought them back to the cap.
 *
 * <p>Each connection also gets an {@link AnswerGate}, which stops reading from a client that does not read its
 * answers (pipelined requests, WebSocket frames) and closes one that overruns it.
 */
final class ConnectionGuard implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

  /** One connection's state: requests in flight, since when it waits for headers, upgraded or not. */
  private static final class State {
    int inFlight;
    long waitingSince;
    boolean upgraded;
  }

  private final String name;
  private final int max;
  private final long headerTimeoutNanos;
  /** Insertion-ordered: the first idle entry has waited longest (re-inserted when it becomes idle). */
  private final LinkedHashMap<HttpConnection, State> open = new LinkedHashMap<>();
  private long displaced;
  private long lastWarnNanos = Long.MIN_VALUE / 2;
  private AcceptGate gate;

  ConnectionGuard(String name, int max, long headerTimeoutMillis) {
    this.name = name;
    this.max = max;
    this.headerTimeoutNanos = headerTimeoutMillis * 1_000_000L;
  }

  /** Sweeps for connections past the header timeout every second (or the timeout's half, if shorter). */
  void start(Vertx vertx) {
    vertx.setPeriodic(Math.max(100, Math.min(1000, headerTimeoutNanos / 2_000_000L)), id -> sweep(System.nanoTime()));
  }

  int max() {
    return max;
  }

  int size() {
    return open.size();
  }

  /** A new connection: counted, closed when it ends; at the cap the longest-waiting idle one goes. */
  void opened(HttpConnection conn) {
    if (gate == null && conn instanceof HttpServerConnection first) {
      installGate(first.channelHandlerContext().channel());
    }
    if (conn instanceof HttpServerConnection c) {
      ChannelHandlerContext vertxHandler = c.channelHandlerContext();
      vertxHandler.pipeline().addBefore(vertxHandler.name(), AnswerGate.NAME, new AnswerGate(name));
    }
    State s = new State();
    s.waitingSince = System.nanoTime();
    if (open.size() >= max && !displaceOne()) {
      warn("all " + max + " connections are busy; refusing a new one");
      conn.close();
      return;
    }
    open.put(conn, s);
    conn.closeHandler(v -> open.remove(conn));
  }

  /** The gate on the listening channel of {@code first}, counting it and the connections this guard already has. */
  private void installGate(Channel first) {
    Channel listening = first.parent();
    if (listening == null) {
      return;
    }
    gate = new AcceptGate(name, max + Math.max(1, max / 4), max);
    gate.track(first);
    for (HttpConnection known : open.keySet()) {
      if (known instanceof HttpServerConnection c) {
        gate.track(c.channelHandlerContext().channel());
      }
    }
    listening.pipeline().addFirst("nodepulse-accept-gate", gate);
  }

  private boolean displaceOne() {
    for (Iterator<Map.Entry<HttpConnection, State>> it = open.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<HttpConnection, State> e = it.next();
      if (e.getValue().inFlight == 0 && !e.getValue().upgraded) {
        it.remove();
        e.getKey().close();
        displaced++;
        warn(max + " connections open (--http-max-connections); closing idle ones, " + displaced + " so far");
        return true;
      }
    }
    return false;
  }

  /** Marks the connection busy until the reply ends. */
  @Override
  public void handle(RoutingContext ctx) {
    HttpConnection conn = ctx.request().connection();
    State s = open.get(conn);
    if (s != null) {
      s.inFlight++;
      if ("websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
        s.upgraded = true;
      }
      ctx.addEndHandler(done -> {
        State now = open.remove(conn);
        if (now != null) {
          now.inFlight--;
          now.waitingSince = System.nanoTime();
          open.put(conn, now); // to the end: it is now the most recently idle
        }
      });
    }
    ctx.next();
  }

  /** Closes every connection that has waited for a request's headers longer than the header timeout. */
  void sweep(long now) {
    for (Iterator<Map.Entry<HttpConnection, State>> it = open.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<HttpConnection, State> e = it.next();
      State s = e.getValue();
      if (s.inFlight == 0 && !s.upgraded && now - s.waitingSince > headerTimeoutNanos) {
        it.remove();
        e.getKey().close();
      }
    }
  }

  private void warn(String message) {
    long now = System.nanoTime();
    if (now - lastWarnNanos > 60_000_000_000L) {
      lastWarnNanos = now;
      LOG.warn("{} listener: {}", name, message);
    }
  }

  /**
   * On the listening channel, in the acceptor's thread: counts every accepted connection until it closes, stops
   * accepting when {@code pauseAt} are open and starts again once they are down to {@code resumeAt}.
   */
  static final class AcceptGate extends ChannelInboundHandlerAdapter {
    private final String name;
    private final int pauseAt;
    private final int resumeAt;
    private final AtomicInteger open = new AtomicInteger();
    /** Changed with the listening channel's auto-read, under this gate's lock (acceptor and closes race). */
    private boolean paused;
    private long pauses;
    private long lastWarnNanos = System.nanoTime() - 120_000_000_000L;
    private volatile Channel listening;

    AcceptGate(String name, int pauseAt, int resumeAt) {
      this.name = name;
      this.pauseAt = pauseAt;
      this.resumeAt = resumeAt;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      listening = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel accepted) {
        track(accepted);
        pauseIfFull(ctx.channel());
      }
      ctx.fireChannelRead(msg);
    }

    /** Counts {@code connection} until it closes. */
    void track(Channel connection) {
      open.incrementAndGet();
      connection.closeFuture().addListener(closed -> {
        open.decrementAndGet();
        resumeIfDown();
      });
    }

    private synchronized void pauseIfFull(Channel l) {
      if (!paused && open.get() >= pauseAt) {
        paused = true;
        l.config().setAutoRead(false);
        pauses++;
        long now = System.nanoTime();
        if (now - lastWarnNanos > 60_000_000_000L) {
          lastWarnNanos = now;
          LOG.warn("{} listener: {} connections open; not accepting until they are down to {} ({} pauses so far)",
              name, open.get(), resumeAt, pauses);
        }
      }
    }

    private synchronized void resumeIfDown() {
      Channel l = listening;
      if (paused && l != null && open.get() <= resumeAt) {
        paused = false;
        l.config().setAutoRead(true);
      }
    }

    int open() {
      return open.get();
    }

    synchronized boolean paused() {
      return paused;
    }
  }
}

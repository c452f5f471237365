package dev.nodepulse.web;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one listener's connections bounded so that idle and slow clients cannot use up the agent's open
 * files: a connection must deliver each request's headers within the header timeout (counted from the
 * connection, then from the previous reply), which closes slowloris clients that trickle bytes; and at the
 * cap a new connection displaces the one that has waited longest without a request in flight (or is refused
 * when every connection is busy). Connections upgraded to WebSocket are left to the idle timeout and the
 * live page's own ping. Runs on the listener's event loop only.
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
}

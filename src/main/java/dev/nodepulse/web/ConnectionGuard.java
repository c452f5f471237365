package dev.nodepulse.web;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.ext.web.RoutingContext;
import java.lang.management.ManagementFactory;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
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
 * more than the cap are open, until the event loop has brought them back to the cap. A connection's file is not
 * always free when Netty reports it closed: the JDK releases the file of a channel registered with a selector
 * only at that event loop's next select, and an event loop busy displacing connections can hold hundreds so.
 * So the gate also reads the process's open files and stops accepting at three quarters of its limit, until
 * they are down to five eighths (checked again every few milliseconds while it waits, as those releases come
 * without a callback).
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
    gate = new AcceptGate(name, max + Math.max(1, max / 4), max, ProcessFiles.open(), ProcessFiles.limit());
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
   * accepting when {@code pauseAt} are open or the process's open files reach three quarters of {@code fileLimit},
   * and starts again once they are down to {@code resumeAt} and its files to five eighths of the limit.
   */
  static final class AcceptGate extends ChannelInboundHandlerAdapter {
    /** How soon a gate that waits only for files looks at them again. */
    static final long RECHECK_MILLIS = 10;
    private final String name;
    private final int pauseAt;
    private final int resumeAt;
    private final LongSupplier openFiles;
    private final long filesPauseAt;
    private final long filesResumeAt;
    private final AtomicInteger open = new AtomicInteger();
    /** Changed with the listening channel's auto-read, under this gate's lock (acceptor and closes race). */
    private boolean paused;
    private boolean recheckPending;
    private long pauses;
    private long lastWarnNanos = System.nanoTime() - 120_000_000_000L;
    private volatile Channel listening;

    /** {@code openFiles} tells the process's open files now; {@code fileLimit} ≤ 0 means no limit known. */
    AcceptGate(String name, int pauseAt, int resumeAt, LongSupplier openFiles, long fileLimit) {
      this.name = name;
      this.pauseAt = pauseAt;
      this.resumeAt = resumeAt;
      this.openFiles = openFiles;
      this.filesPauseAt = fileLimit > 0 ? fileLimit * 3 / 4 : Long.MAX_VALUE;
      this.filesResumeAt = fileLimit > 0 ? fileLimit * 5 / 8 : Long.MAX_VALUE;
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
      if (paused) {
        return;
      }
      long files = open.get() >= pauseAt ? -1 : openFiles.getAsLong();
      if (files == -1 || files >= filesPauseAt) {
        paused = true;
        l.config().setAutoRead(false);
        pauses++;
        long now = System.nanoTime();
        if (now - lastWarnNanos > 60_000_000_000L) {
          lastWarnNanos = now;
          LOG.warn("{} listener: {} connections open, {} files in use; not accepting until they are down to {} and {} files"
              + " ({} pauses so far)", name, open.get(), files == -1 ? openFiles.getAsLong() : files, resumeAt,
              filesResumeAt == Long.MAX_VALUE ? "any" : filesResumeAt, pauses);
        }
        recheckLater();
      }
    }

    private synchronized void resumeIfDown() {
      Channel l = listening;
      if (paused && l != null && open.get() <= resumeAt) {
        if (openFiles.getAsLong() > filesResumeAt) {
          recheckLater(); // files closed on an event loop are released at its next select, with no callback
          return;
        }
        paused = false;
        l.config().setAutoRead(true);
      }
    }

    /** Looks again soon on the listening channel's loop, once at a time, while paused. */
    private void recheckLater() {
      Channel l = listening;
      if (l != null && !recheckPending) {
        recheckPending = true;
        l.eventLoop().schedule(() -> {
          synchronized (this) {
            recheckPending = false;
          }
          resumeIfDown();
        }, RECHECK_MILLIS, TimeUnit.MILLISECONDS);
      }
    }

    int open() {
      return open.get();
    }

    synchronized boolean paused() {
      return paused;
    }
  }

  /** The process's open files and their limit, where the platform tells them. */
  static final class ProcessFiles {
    private ProcessFiles() {}

    static LongSupplier open() {
      return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os
          ? os::getOpenFileDescriptorCount : () -> 0;
    }

    static long limit() {
      return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os
          ? os.getMaxFileDescriptorCount() : 0;
    }
  }
}

package dev.nodepulse.web;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In one connection's pipeline, just before Vert.x' own handler: stops reading from a client that does not read
 * its answers, so that what one client sends cannot pile answers up in the agent without limit.
 *
 * <p>Vert.x writes every answer to the connection whether or not the client reads, and starts the next pipelined
 * HTTP request as soon as the previous answer is written: a client that pipelines requests (or sends WebSocket
 * frames the bridge answers) and never reads would fill the heap with answers. So this gate hands Vert.x a request
 * or frame only while the connection's outbound buffer is below its high-water mark (the channel is writable), and
 * a pipelined HTTP request only once the previous request's answer has been written in full. What arrives
 * meanwhile is held here and reading from the socket stops until the client has read enough; a client that has
 * more than {@link #MAX_HELD} requests or frames held (it kept sending although the agent stopped reading) is
 * closed. Runs on the connection's event loop.
 */
final class AnswerGate extends ChannelDuplexHandler {
  static final String NAME = "nodepulse-answer-gate";
  /** Requests (or their parts) and frames held for one connection, beyond which it is closed. */
  static final int MAX_HELD = 1024;
  private static final Logger LOG = LoggerFactory.getLogger(AnswerGate.class);
  /** When the last overrun was logged: one WARN a minute at most, whatever a flood of clients does. */
  private static final AtomicLong LAST_WARN = new AtomicLong(System.nanoTime() - 120_000_000_000L);
  private static final AtomicLong OVERRUNS = new AtomicLong();

  private final String listener;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  /** An HTTP request was handed on whose answer has not been written in full. */
  private boolean answering;
  /** This gate turned the channel's auto-read off (and so turns it on again). */
  private boolean stopped;
  private boolean drainScheduled;
  private boolean closed;

  AnswerGate(String listener) {
    this.listener = listener;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (held.isEmpty() && mayPass(ctx, msg)) {
      pass(ctx, msg);
      return;
    }
    held.add(msg);
    if (!stopped) {
      stopped = true;
      ctx.channel().config().setAutoRead(false);
    }
    if (held.size() > MAX_HELD) {
      long overruns = OVERRUNS.incrementAndGet();
      long now = System.nanoTime();
      long last = LAST_WARN.get();
      if (now - last > 60_000_000_000L && LAST_WARN.compareAndSet(last, now)) {
        LOG.warn("{} listener: closed a connection from {} that sent more than {} requests or frames without reading"
            + " the answers ({} such connections so far)", listener, ctx.channel().remoteAddress(), MAX_HELD, overruns);
      }
      close(ctx);
    }
  }

  private boolean mayPass(ChannelHandlerContext ctx, Object msg) {
    return ctx.channel().isWritable() && !(answering && msg instanceof HttpRequest);
  }

  private void pass(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      answering = true;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent) {
      answering = false;
      // after Vert.x has finished with this answer (it hands on the next request once the write returns)
      scheduleDrain(ctx);
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      scheduleDrain(ctx);
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void scheduleDrain(ChannelHandlerContext ctx) {
    if (!drainScheduled && (!held.isEmpty() || stopped)) {
      drainScheduled = true;
      ctx.executor().execute(() -> {
        drainScheduled = false;
        drain(ctx);
      });
    }
  }

  /** Hands on what may pass now; reads again once nothing is held. */
  private void drain(ChannelHandlerContext ctx) {
    boolean passed = false;
    while (!closed && !held.isEmpty() && mayPass(ctx, held.peek())) {
      pass(ctx, held.poll());
      passed = true;
    }
    if (passed) {
      ctx.fireChannelReadComplete();
    }
    if (!closed && held.isEmpty() && stopped) {
      stopped = false;
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void close(ChannelHandlerContext ctx) {
    closed = true;
    releaseHeld();
    ctx.close();
  }

  private void releaseHeld() {
    Object msg;
    while ((msg = held.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseHeld();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
  }

  /** Requests and frames held now (for tests). */
  int held() {
    return held.size();
  }
}

package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate on a channel of its own: what it hands on, when it stops reading, when it closes. */
class AnswerGateTest {
  /** Stands in for Vert.x' handler: records what the gate hands on. */
  private static final class Seen extends ChannelInboundHandlerAdapter {
    final List<Object> got = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      got.add(msg);
    }
  }

  private static DefaultHttpRequest get(String path) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
  }

  private static long requests(Seen seen) {
    return seen.got.stream().filter(m -> m instanceof DefaultHttpRequest).count();
  }

  @Test
  void aPipelinedRequestWaitsForThePreviousAnswerAndReadingStopsMeanwhile() {
    Seen seen = new Seen();
    EmbeddedChannel ch = new EmbeddedChannel(new AnswerGate("test"), seen);
    ch.writeInbound(get("/1"), LastHttpContent.EMPTY_LAST_CONTENT, get("/2"), LastHttpContent.EMPTY_LAST_CONTENT, get("/3"));
    assertThat(requests(seen)).as("only the first request before its answer").isEqualTo(1);
    assertThat(ch.config().isAutoRead()).as("reading stopped while requests wait").isFalse();

    ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    ch.runPendingTasks();
    assertThat(requests(seen)).as("the second once the first is answered").isEqualTo(2);
    ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    ch.runPendingTasks();
    assertThat(requests(seen)).isEqualTo(3);
    assertThat(ch.config().isAutoRead()).as("reading again once nothing waits").isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void framesWaitWhileTheClientDoesNotReadAndAnOverrunCloses() {
    Seen seen = new Seen();
    EmbeddedChannel ch = new EmbeddedChannel(new AnswerGate("test"), seen);
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
    // an answer the client does not read: the outbound buffer passes its high-water mark, nothing is flushed
    ch.write(Unpooled.wrappedBuffer(new byte[64]));
    assertThat(ch.isWritable()).isFalse();
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
    assertThat(seen.got).as("nothing handed on while answers are not read").isEmpty();
    assertThat(ch.config().isAutoRead()).isFalse();

    ch.flush(); // the client read: the frame goes on and reading starts again
    ch.runPendingTasks();
    assertThat(seen.got).hasSize(1);
    assertThat(ch.config().isAutoRead()).isTrue();

    ch.write(Unpooled.wrappedBuffer(new byte[64]));
    for (int i = 0; i <= AnswerGate.MAX_HELD; i++) {
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {2}));
    }
    assertThat(ch.isOpen()).as("closed once more than " + AnswerGate.MAX_HELD + " are held").isFalse();
    ch.finishAndReleaseAll();
  }
}

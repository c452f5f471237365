package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The accept gate on a listening channel (Netty's EmbeddedChannel standing in for it; accepted connections are
 * channels read from it, as Netty's acceptor hands them on): it stops reading (accepting) when the pause mark
 * of connections is open, passes every accepted connection on, and reads again once closes bring the count
 * down to the resume mark; and it watches the process's open files, which a closed connection does not always free
 * at once.
 */
class AcceptGateTest {

  @Test
  void pausesAcceptingAtThePauseMarkAndResumesAtTheResumeMark() {
    ConnectionGuard.AcceptGate gate = new ConnectionGuard.AcceptGate("test", 5, 3, () -> 10, 1024);
    EmbeddedChannel listening = new EmbeddedChannel(gate);
    List<EmbeddedChannel> accepted = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      accepted.add(accept(listening));
    }
    assertThat(listening.config().isAutoRead()).as("4 open, below the pause mark").isTrue();
    accepted.add(accept(listening));
    assertThat(gate.open()).isEqualTo(5);
    assertThat(gate.paused()).isTrue();
    assertThat(listening.config().isAutoRead()).as("5 open: not accepting").isFalse();
    // every accepted connection was handed on to the rest of the pipeline (the server's acceptor)
    assertThat(listening.inboundMessages()).hasSize(5);

    accepted.get(0).close();
    assertThat(gate.open()).isEqualTo(4);
    assertThat(listening.config().isAutoRead()).as("4 open, above the resume mark").isFalse();
    accepted.get(1).close();
    assertThat(gate.open()).isEqualTo(3);
    assertThat(listening.config().isAutoRead()).as("down to the resume mark: accepting again").isTrue();
    assertThat(gate.paused()).isFalse();

    // and it pauses again on the next burst
    accept(listening);
    accept(listening);
    assertThat(listening.config().isAutoRead()).isFalse();
    listening.finishAndReleaseAll();
  }

  @Test
  void connectionsOpenBeforeTheGateAreCountedWhenTracked() {
    ConnectionGuard.AcceptGate gate = new ConnectionGuard.AcceptGate("test", 3, 1, () -> 10, 1024);
    EmbeddedChannel listening = new EmbeddedChannel(gate);
    EmbeddedChannel earlier = new EmbeddedChannel();
    gate.track(earlier);
    accept(listening);
    EmbeddedChannel third = accept(listening);
    assertThat(listening.config().isAutoRead()).isFalse();
    earlier.close();
    assertThat(listening.config().isAutoRead()).as("2 open, above the resume mark").isFalse();
    third.close();
    assertThat(listening.config().isAutoRead()).isTrue();
    listening.finishAndReleaseAll();
  }

  /**
   * Connections closed on a busy event loop keep their files until that loop's next select: the gate stops
   * accepting at three quarters of the file limit though few connections are counted, and starts again only
   * when the files are down to five eighths, which it looks for by itself (no close tells it).
   */
  @Test
  void pausesWhenTheProcessFilesNearTheLimitAndResumesWhenTheyAreFreed() {
    AtomicLong files = new AtomicLong(100);
    ConnectionGuard.AcceptGate gate = new ConnectionGuard.AcceptGate("test", 50, 40, files::get, 1000);
    EmbeddedChannel listening = new EmbeddedChannel(gate);
    listening.freezeTime();
    EmbeddedChannel first = accept(listening);
    assertThat(listening.config().isAutoRead()).as("1 connection, 100 of 1000 files").isTrue();
    files.set(749);
    accept(listening);
    assertThat(listening.config().isAutoRead()).as("749 files, below three quarters").isTrue();
    files.set(750);
    accept(listening);
    assertThat(gate.open()).as("far below the connection marks").isEqualTo(3);
    assertThat(listening.config().isAutoRead()).as("750 of 1000 files: not accepting").isFalse();

    first.close();
    assertThat(listening.config().isAutoRead()).as("a close, but the files are not yet freed").isFalse();
    files.set(626);
    listening.advanceTimeBy(ConnectionGuard.AcceptGate.RECHECK_MILLIS, TimeUnit.MILLISECONDS);
    listening.runScheduledPendingTasks();
    assertThat(listening.config().isAutoRead()).as("626 files, above five eighths").isFalse();
    files.set(625);
    listening.advanceTimeBy(ConnectionGuard.AcceptGate.RECHECK_MILLIS, TimeUnit.MILLISECONDS);
    listening.runScheduledPendingTasks();
    assertThat(listening.config().isAutoRead()).as("freed without any close: accepting again").isTrue();
    assertThat(gate.paused()).isFalse();
    listening.finishAndReleaseAll();
  }

  private static EmbeddedChannel accept(EmbeddedChannel listening) {
    EmbeddedChannel connection = new EmbeddedChannel();
    listening.writeInbound(connection);
    return connection;
  }
}

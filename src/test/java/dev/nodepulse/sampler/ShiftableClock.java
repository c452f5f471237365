package dev.nodepulse.sampler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** The system clock plus an offset a test can move forward, to fake downtime or a stall. */
final class ShiftableClock extends Clock {
  private final AtomicLong offsetMs = new AtomicLong();

  void shift(Duration d) {
    offsetMs.addAndGet(d.toMillis());
  }

  @Override
  public long millis() {
    return System.currentTimeMillis() + offsetMs.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}

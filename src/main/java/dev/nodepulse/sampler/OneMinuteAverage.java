package dev.nodepulse.sampler;

import java.util.ArrayDeque;

/**
 * The mean CPU percent of the samples of the last 60 seconds that exist. Defined over time, not a
 * count of samples, so any sample interval still means one minute; missing samples (a gap) are
 * simply not there. Not thread-safe: used on the event loop.
 */
final class OneMinuteAverage {
  static final long WINDOW_MS = 60_000;

  private record Point(long t, double percent) {}

  private final ArrayDeque<Point> points = new ArrayDeque<>();

  void add(long t, double percent) {
    points.addLast(new Point(t, percent));
  }

  /** The mean of the samples in (now - 60 s, now], or null when there are none. */
  Double at(long now) {
    while (!points.isEmpty() && points.peekFirst().t() <= now - WINDOW_MS) {
      points.removeFirst();
    }
    double mean = 0;
    int n = 0;
    for (Point p : points) {
      if (p.t() <= now) {
        mean += p.percent();
        n++;
      }
    }
    return n == 0 ? null : mean / n;
  }
}

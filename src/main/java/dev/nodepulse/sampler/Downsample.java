package dev.nodepulse.sampler;

import java.util.ArrayList;
import java.util.List;

/**
 * A history answer holds at most {@link #MAX_POINTS} points: a longer window (a day of `--history 7d` at 1 Hz is
 * 86,400 points, a week 604,800) is averaged over equal steps, so that one request cannot hold more than a small,
 * fixed share of the heap. A step that holds a gap point is a gap point (at the step's first time), so downtime
 * still shows as a break.
 */
final class Downsample {
  static final int MAX_POINTS = 3_600;

  private Downsample() {}

  /** The step for {@code count} points over a window of {@code windowMs}: 0 when they are few enough to answer. */
  static long stepMs(long count, long windowMs) {
    if (count <= MAX_POINTS) {
      return 0;
    }
    return Math.max(1, (windowMs + MAX_POINTS - 1) / MAX_POINTS);
  }

  /** Points and the step they were averaged over (0: each point as it was taken). */
  record Answer(List<Point> points, long stepMs) {}

  /** The step number of time {@code t} for steps of {@code stepMs} counted from {@code since}. */
  static long bucket(long t, long since, long stepMs) {
    return Math.floorDiv(t - since, stepMs);
  }

  /** {@code points} (oldest first, all at or after {@code since}) averaged over steps of {@code stepMs}. */
  static List<Point> of(List<Point> points, long since, long stepMs) {
    List<Point> out = new ArrayList<>();
    int i = 0;
    while (i < points.size()) {
      long b = bucket(points.get(i).t(), since, stepMs);
      long first = points.get(i).t();
      double cpu = 0;
      double avg = 0;
      int n = 0;
      int nAvg = 0;
      boolean gap = false;
      for (; i < points.size() && bucket(points.get(i).t(), since, stepMs) == b; i++) {
        Point p = points.get(i);
        if (p.cpu() == null) {
          gap = true;
        } else {
          cpu += p.cpu();
          n++;
          if (p.avg1m() != null) {
            avg += p.avg1m();
            nAvg++;
          }
        }
      }
      out.add(of(first, gap, n, cpu, nAvg, avg));
    }
    return out;
  }

  /** One step's point: a gap when the step held one, else the means (rounded to 0.01, as samples are). */
  static Point of(long first, boolean gap, int n, double cpuSum, int nAvg, double avgSum) {
    if (gap || n == 0) {
      return Point.gap(first);
    }
    return new Point(first, SampleJson.round(cpuSum / n), nAvg == 0 ? null : SampleJson.round(avgSum / nAvg));
  }
}

package dev.nodepulse.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written the same way everywhere: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1h30m}. */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
  public static final String ACCEPTS = "a duration such as 500ms, 30s, 5m, 1h or 1h30m";

  private Durations() {}

  /** Parses a duration; throws {@link IllegalArgumentException} naming what is accepted. */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty; expected " + ACCEPTS);
    }
    String s = text.trim();
    Matcher m = PART.matcher(s);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      });
      end = m.end();
    }
    if (end != s.length() || end == 0) {
      throw new IllegalArgumentException("'" + text + "' is not " + ACCEPTS);
    }
    return total;
  }

  /** Formats a duration in the same notation, largest units first ({@code 90s} becomes {@code 1m30s}). */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long ms = d.toMillis();
    long h = ms / 3_600_000;
    ms %= 3_600_000;
    long m = ms / 60_000;
    ms %= 60_000;
    long s = ms / 1000;
    ms %= 1000;
    if (h > 0) b.append(h).append('h');
    if (m > 0) b.append(m).append('m');
    if (s > 0) b.append(s).append('s');
    if (ms > 0) b.append(ms).append("ms");
    return b.toString();
  }
}

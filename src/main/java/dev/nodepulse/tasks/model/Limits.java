package dev.nodepulse.tasks.model;

import java.time.Duration;

/**
 * The bounds of a DelayedTask, the one set that both the agent's validation ({@link TaskValidator}) and the
 * CustomResourceDefinition's schema (kube/crd: {@code maxLength}, {@code maxItems}, {@code maximum} and the CEL
 * rules of durations) use. Lengths count characters (Unicode code points), as the API server's {@code maxLength}
 * and CEL's {@code size()} do: a task the agent accepts from a file or the REST API is one the API server accepts,
 * and the other way round. Durations are given in milliseconds, the unit of the CEL rules.
 */
public final class Limits {
  /** A body, payload or data: 64 Ki characters. */
  public static final int DATA = 65_536;
  public static final int URL = 2048;
  public static final int HEADERS = 32;
  public static final int HEADER_VALUE = 8192;
  public static final int PI_DIGITS = 1_000_000;
  public static final int REDIRECTS = 10;
  public static final int RETRIES = 10;
  /** spec.history: runs kept per task (default {@link #HISTORY_DEFAULT}). */
  public static final int HISTORY = 100;
  public static final int HISTORY_DEFAULT = 20;
  public static final int TITLE = 256;
  public static final int SCHEDULE = 256;
  /** A duration, an {@code at} time or a {@code timeZone}. */
  public static final int WORD = 64;
  /** A tcp {@code address}, {@code host:port} or {@code [ipv6]:port}. */
  public static final int ADDRESS = 300;
  /** A pipe's file name: at most {@link #PIPE_NAME} characters of {@link #PIPE_NAME_PATTERN}, no {@code ..}. */
  public static final int PIPE_NAME = 255;
  public static final String PIPE_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9._-]{0," + (PIPE_NAME - 1) + "}$";
  /** Labels and nodeSelector entries. */
  public static final int LABELS = 64;
  /** A label value, as Kubernetes bounds it. */
  public static final int LABEL_VALUE = 63;

  /** {@code delay}, {@code every} and {@code startingDeadline} at most: 365 days. */
  public static final long SPAN_MS = 365L * 86_400_000;
  /** {@code every} and {@code startingDeadline} at least: 1s. */
  public static final long MIN_EVERY_MS = 1000;
  /** A timeout or a retry backoff: 10ms to 1h. */
  public static final long MIN_TIMEOUT_MS = 10;
  public static final long MAX_TIMEOUT_MS = 3_600_000;
  /** The most {@code spec.jitter} may spread a due time: 1h. */
  public static final long JITTER_MS = 3_600_000;
  /** The longest {@code spec.ttlAfterFinished}: 30 days. */
  public static final long TTL_AFTER_FINISHED_MS = 30L * 86_400_000;

  /** {@link #JITTER_MS} as a duration. */
  public static final Duration MAX_JITTER = Duration.ofMillis(JITTER_MS);
  /** {@link #TTL_AFTER_FINISHED_MS} as a duration. */
  public static final Duration MAX_TTL_AFTER_FINISHED = Duration.ofMillis(TTL_AFTER_FINISHED_MS);

  private Limits() {}
}

package dev.nodepulse.tasks.model;

/**
 * The bounds of a DelayedTask, the one set that both the agent's validation ({@link TaskValidator}) and the
 * CustomResourceDefinition's schema (kube/crd) use. Lengths count characters (Unicode code points), as the
 * API server's {@code maxLength} does.
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
  /** Labels and nodeSelector entries. */
  public static final int LABELS = 64;
  /** A label value, as Kubernetes bounds it. */
  public static final int LABEL_VALUE = 63;
  /** The most {@code spec.jitter} may spread a due time. */
  public static final java.time.Duration MAX_JITTER = java.time.Duration.ofHours(1);

  /** The longest {@code spec.ttlAfterFinished}: 30 days. */
  public static final java.time.Duration MAX_TTL_AFTER_FINISHED = java.time.Duration.ofDays(30);

  private Limits() {}
}

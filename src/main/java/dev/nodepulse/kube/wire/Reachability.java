package dev.nodepulse.kube.wire;

import dev.nodepulse.config.Durations;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One account of the API server being away, for every caller of an agent (Lease, informers, claims, status,
 * Events): one WARN line when an episode starts, one INFO line when it ends; what recovers by itself is not
 * logged again per call or per task. What needs a person (a 401, a 403) is an ERROR line, once per problem.
 */
public final class Reachability {
  private static final Logger LOG = LoggerFactory.getLogger(Reachability.class);
  private final Clock clock;
  private String away;
  private Instant since;
  private String refused;
  private Instant reachableSince;

  public Reachability(Clock clock) {
    this.clock = clock;
  }

  /** True for what recovers by itself: no answer, a 5xx, a 429 (e.g. "storage is (re)initializing"). */
  public static boolean recovers(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return k.getCode() >= 500 || k.getCode() == 429;
      }
    }
    return true;
  }

  /** A call failed: the start of an episode (WARN once) or a refusal that needs a person (ERROR once). */
  public synchronized void failed(Throwable err) {
    String problem = Problems.describe(err);
    if (!recovers(err)) {
      if (!problem.equals(refused)) {
        LOG.error("API server refused the agent: {}", problem);
        refused = problem;
      }
      return;
    }
    if (away == null) {
      away = problem;
      since = clock.instant();
      LOG.warn("API server away: {}; claims, status writes and watches are retried until it is back", problem);
    }
  }

  /** A call went through: the end of an episode, if one was under way. */
  public synchronized void reached() {
    refused = null;
    if (reachableSince == null || away != null) {
      reachableSince = clock.instant();
    }
    if (away != null) {
      LOG.info("API server back after {} (it was away: {})", Durations.format(Duration.between(since,
          clock.instant()).withNanos(0)), away);
      away = null;
    }
  }

  /** Since when the API server answers (null: not yet, or away now). */
  public synchronized Instant reachableSince() {
    return away == null ? reachableSince : null;
  }

  /** Since when the API server is away (null: it is not). */
  public synchronized Instant awaySince() {
    return away == null ? null : since;
  }

  /**
   * The informers' exception handler (instead of fabric8's log lines with a stack trace): once started, every
   * failure is retried; before the first listing the start fails, and the verticle retries it with its backoff.
   */
  public boolean informerFailed(boolean started, Throwable t) {
    if (started || recovers(t)) {
      failed(t);
    }
    return started;
  }
}

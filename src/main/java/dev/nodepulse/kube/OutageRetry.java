package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Reachability;
import dev.nodepulse.config.Durations;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A blocking status write that an API-server outage must not lose: run off the event loop and, while the API server
 * cannot be reached, tried again on a doubling backoff until a deadline (the status sink's result and MISSED writes).
 */
final class OutageRetry {
  private static final Logger LOG = LoggerFactory.getLogger(OutageRetry.class);

  private final Vertx vertx;
  private final KubeLink link;

  OutageRetry(Vertx vertx, KubeLink link) {
    this.vertx = vertx;
    this.link = link;
  }

  /** How long a result write is tried again while the API server cannot be reached. */
  static final Duration KEEP_TRYING = Duration.ofMinutes(5);

  /**
   * Runs a blocking result write off the event loop; while the API server cannot be reached (no answer, 5xx, 429)
   * it is tried again (1 s doubling to 8 s) for {@link #KEEP_TRYING}, so a run that ended during an outage still has
   * its result recorded when the API server is back. Other failures are logged once.
   */
  Future<Void> retrying(String key, Runnable write) {
    Promise<Void> done = Promise.promise();
    attempt(key, link.clock.instant().plus(KEEP_TRYING), write, Duration.ofSeconds(1), done);
    return done.future();
  }

  private boolean notServedYet(String key, Throwable err) {
    int slash = key.indexOf('/');
    return err instanceof io.fabric8.kubernetes.client.KubernetesClientException k && k.getCode() == 404 && slash > 0
        && link.task(key.substring(0, slash), key.substring(slash + 1)) != null;
  }

  private void attempt(String key, Instant until, Runnable write, Duration backoff, Promise<Void> done) {
    vertx.<Void>executeBlocking(() -> {
      write.run();
      return null;
    }, false).onSuccess(v -> {
      link.reach.reached();
      done.complete(v);
    }).onFailure(err -> {
      // the same account of "recovers by itself" as the outage's one log line (a code found anywhere in the causes);
      // also a 404 for a task the informers still hold: an API server just restarted serves a custom resource only
      // once it has established its definition again
      boolean unreachable = Reachability.recovers(err) || notServedYet(key, err);
      if (unreachable && link.clock.instant().plus(backoff).isBefore(until)) {
        link.reach.failed(err); // one line for the whole outage
        LOG.debug("status of {}: trying again in {}", key, Durations.format(backoff));
        Duration next = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(8)) > 0 ? Duration.ofSeconds(8)
            : backoff.multipliedBy(2);
        vertx.setTimer(backoff.toMillis(), id -> attempt(key, until, write, next, done));
      } else if (unreachable) {
        // the outage is told once (Reachability); giving this write up is part of it, not a warning of its own
        link.reach.failed(err);
        LOG.info("status of {}: not written, the API server was away past the write's deadline ({})", key,
            Problems.describe(err));
        done.fail(err);
      } else {
        LOG.warn("status of {}: {}", key, Problems.describe(err));
        done.fail(err);
      }
    });
  }
}

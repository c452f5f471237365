package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Reachability;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.config.Durations;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskStatus.Phase;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.run.Expiry;
import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.Preconditions;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spec.ttlAfterFinished} of DelayedTasks: a finished one-shot's object is deleted once the ttl has passed since
 * it finished ({@link Expiry}), by one agent, the one that speaks for the task (rendezvous over the live Leases), with
 * a precondition on its uid so that a task re-created under the same name is never deleted; a 404 (another agent was
 * first) or a 409 (re-created) ends it quietly. Finished is read from the cluster's status: phase Succeeded or Failed,
 * no run planned and no retry left ({@code nodes: all}: so on every node in {@code status.nodes}, counted from the
 * latest finish). A timer per task, on the Kubernetes verticle's context (the informer's thread hands each event
 * over); an agent that stopped before its timer fired is replaced at the next resync, when the informer hands every
 * task back.
 */
final class FinishedTasks implements TaskInformers.Listener<DelayedTaskResource> {
  private static final Logger LOG = LoggerFactory.getLogger(FinishedTasks.class);
  private static final long AGAIN_MS = 2_000;
  /** Deletes the API server accepted, by every agent in this JVM (tests run several agents in one). */
  static final AtomicLong DELETED = new AtomicLong();

  private final Vertx vertx;
  private final Context context;
  private final KubeLink link;
  /** Timer ids by task key; touched only on {@link #context}. */
  private final Map<String, Long> timers = new HashMap<>();

  FinishedTasks(Vertx vertx, Context context, KubeLink link) {
    this.vertx = vertx;
    this.context = context;
    this.link = link;
  }

  @Override
  public void upsert(DelayedTaskResource r) {
    Instant at = expiresAt(r, link.clock.instant());
    context.runOnContext(v -> {
      cancel(key(r));
      if (at != null) {
        arm(r.getMetadata().getNamespace(), r.getMetadata().getName(), r.getMetadata().getUid(), at);
      }
    });
  }

  /** A timer at {@code at} (rounded up to the next millisecond: a timer never fires before its time here). */
  private void arm(String ns, String name, String uid, Instant at) {
    String key = ns + "/" + name;
    long delay = Math.max(1, Duration.between(link.clock.instant(), at).plusNanos(999_999).toMillis());
    timers.put(key, vertx.setTimer(delay, id -> {
      if (timers.remove(key, id)) {
        expire(ns, name, uid);
      }
    }));
  }

  @Override
  public void delete(DelayedTaskResource r) {
    context.runOnContext(v -> cancel(key(r)));
  }

  private void cancel(String key) {
    Long id = timers.remove(key);
    if (id != null) {
      vertx.cancelTimer(id);
    }
  }

  /** The timer fired: the task as seen now, if it is the same object and still expired, is deleted by one agent. */
  private void expire(String ns, String name, String uid) {
    DelayedTaskResource r = link.task(ns, name);
    Instant now = link.clock.instant();
    Instant at = r == null || !uid.equals(r.getMetadata().getUid()) ? null : expiresAt(r, now);
    if (at != null && at.isAfter(now)) { // the clock said otherwise when it was armed
      arm(ns, name, uid, at);
      return;
    }
    if (at == null || !link.speaksFor(ns + "/" + name + "@expiry") || link.client == null) {
      return;
    }
    vertx.executeBlocking(() -> {
      link.wrote();
      DeleteOptions options = new DeleteOptions();
      options.setPreconditions(new Preconditions(null, uid));
      link.client.raw("/apis/nodepulse.dev/v1alpha1/namespaces/" + ns + "/delayedtasks/" + name, "DELETE", options);
      return null;
    }, false).onComplete(ar -> {
      if (ar.succeeded()) {
        DELETED.incrementAndGet();
        link.reach.reached();
        LOG.info("task {}/{} finished and its ttlAfterFinished of {} has passed: deleted", ns, name,
            Durations.format(ttl(r)));
      } else if (ar.cause() instanceof KubernetesClientException e && (e.getCode() == 404 || Conflicts.conflict(e))) {
        LOG.debug("task {}/{}: already deleted, or re-created", ns, name);
      } else if (Reachability.recovers(ar.cause())) {
        link.reach.failed(ar.cause()); // the outage is told once
        vertx.setTimer(AGAIN_MS, id -> expire(ns, name, uid));
      } else {
        LOG.warn("task {}/{}: its ttlAfterFinished has passed but it could not be deleted: {}", ns, name,
            Problems.describe(ar.cause()));
      }
    });
  }

  private static Duration ttl(DelayedTaskResource r) {
    try {
      return Wire.read(r).spec().ttlAfterFinished();
    } catch (TaskValidationException e) {
      return null;
    }
  }

  /** When the task is to be deleted (now or later), or null: no ttl, not a one-shot, or not finished. */
  static Instant expiresAt(DelayedTaskResource r, Instant now) {
    if (r.getSpec() == null || r.getSpec().ttlAfterFinished == null || r.getStatus() == null) {
      return null; // without reading the spec again: most tasks have no ttl
    }
    TaskSpec spec;
    try {
      spec = Wire.read(r).spec();
    } catch (TaskValidationException e) {
      return null; // an invalid spec never ran
    }
    Status st = r.getStatus();
    if (spec.ttlAfterFinished() == null || !spec.timing().oneShot() || st == null) {
      return null;
    }
    Phase phase;
    Instant finished = null;
    if (spec.nodes() == TaskSpec.Nodes.ALL) {
      List<Status.NodeStatus> nodes = st.nodes == null ? List.of() : st.nodes;
      for (Status.NodeStatus n : nodes) {
        if (!done(n.phase, n.lastRun, n.attempts, n.nextRunAt, spec)) {
          return null;
        }
        Instant f = Wire.instant(n.lastRun.finishedAt);
        finished = finished == null || f.isAfter(finished) ? f : finished;
      }
      phase = nodes.isEmpty() ? Phase.Pending : Phase.Succeeded; // each node is finished: which way is not asked
    } else {
      if (!done(st.phase, st.lastRun, st.attempts, st.nextRunAt, spec)) {
        return null;
      }
      finished = Wire.instant(st.lastRun.finishedAt);
      phase = Phase.valueOf(st.phase.name());
    }
    Expiry.Decision d = Expiry.decide(phase, finished, spec.ttlAfterFinished(), now);
    return switch (d.kind()) {
      case NEVER -> null;
      case NOW -> now;
      case AT -> d.at();
    };
  }

  /** Succeeded or Failed, a finish time, nothing planned, and no retry to come (a failed attempt with retries left). */
  private static boolean done(Status.Phase phase, Status.LastRun last, Long attempts, String nextRunAt,
      TaskSpec spec) {
    if ((phase != Status.Phase.Succeeded && phase != Status.Phase.Failed) || last == null
        || Wire.instant(last.finishedAt) == null || nextRunAt != null) {
      return false;
    }
    boolean retryable = RunResult.Outcome.FAILED.name().equals(last.outcome)
        || RunResult.Outcome.TIMEOUT.name().equals(last.outcome);
    return !retryable || (attempts == null ? 0 : attempts) > spec.retry().limit();
  }

  private static String key(DelayedTaskResource r) {
    return r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }
}

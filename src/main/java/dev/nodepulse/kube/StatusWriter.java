package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.rules.ResultStatus;
import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.status.MissedBurst;
import dev.nodepulse.tasks.status.RunRecord;
import dev.nodepulse.tasks.status.StatusSink;
import dev.nodepulse.tasks.status.TaskChange;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status sink of a cluster: after each attempt on this node, the DelayedTask's status subresource gets the
 * result (one write; a conflict is read again and retried; {@code runs} counts due times, {@code attempts} attempts;
 * phase, conditions and the rest derived from these facts by {@link DerivedStatus}) and the task gets an Event
 * (Normal for a success, Warning otherwise). {@code nodes: all} tasks: this node's own {@code status.nodes} entry
 * (with this node's runs and attempts), by server-side apply with a field manager per node, so agents never
 * conflict; {@link NodeSummaries} sums the entries up. ConfigMap tasks get the Event on their ConfigMap and,
 * with {@code nodes: one}, the finished due time and outcome on their claim Lease ({@link ClaimLeases}).
 * Status stays small: the excerpt, counters, the last run; the whole output stays on this agent.
 */
final class StatusWriter implements StatusSink {
  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);

  private final Vertx vertx;
  private final KubeLink link;
  private final KubeClaims claims;
  private final Map<String, DelayedTask> latest = new ConcurrentHashMap<>();
  /** The spec generation whose due times were announced, per CRD task ({@link PlannedStatus#announce}). */
  private final Map<String, Long> announced = new ConcurrentHashMap<>();
  /** The due time of this agent's latest attempt, per task: an attempt of another due time is its run's first. */
  private final Map<String, Instant> attemptedFor = new ConcurrentHashMap<>();
  private final OutageRetry outage;

  StatusWriter(Vertx vertx, KubeLink link, KubeClaims claims) {
    this.vertx = vertx;
    this.link = link;
    this.claims = claims;
    this.outage = new OutageRetry(vertx, link);
  }

  @Override
  public void changed(TaskChange change) {
    if (change.deleted()) {
      latest.remove(change.task().key());
      announced.remove(change.task().key());
      attemptedFor.remove(change.task().key());
    } else if (!change.progressOnly()) {
      latest.put(change.task().key(), change.task());
      announce(change);
    }
  }

  /** A CRD task's new spec generation: its due times in status before its first run (one agent writes them). */
  private void announce(TaskChange change) {
    DelayedTask t = change.task();
    long generation = change.origin().generation();
    if (change.origin().kind() != Origin.Kind.CRD || t.spec() == null
        || Long.valueOf(generation).equals(announced.put(t.key(), generation))
        || !link.speaksFor(t.key() + "@planned-" + generation)) {
      return;
    }
    vertx.executeBlocking(() -> {
      PlannedStatus.announce(link, t.metadata().namespace(), t.metadata().name(), generation);
      return null;
    }, false);
  }

  @Override
  public void attempted(RunRecord run) {
    DelayedTask local = latest.get(run.key());
    if (local == null || local.spec() == null) {
      return;
    }
    Origin.Kind kind = run.origin().kind();
    if (kind == Origin.Kind.CONFIGMAP) {
      Instant due = claims.canonicalOf(run.key(), run.dueAt());
      if (due != null && local.spec().nodes() == TaskSpec.Nodes.ONE) {
        outage.retrying(run.key(), () -> {
          ClaimLeases leases = link.claimLeases;
          if (leases != null) {
            link.wrote();
            leases.finished(run.key(), due, run.result().outcome().name(), link.clock.instant()); // the result write
          }
        });
      }
      vertx.executeBlocking(() -> {
        ConfigMapSource.Entry e = link.configMapTasks.get(run.key());
        if (e != null) {
          Events.emit(link, e.configMap(), ok(run) ? "Normal" : "Warning", ok(run) ? "RunSucceeded" : "RunFailed",
              "task " + run.name() + ", run due at " + (due != null ? due : run.dueAt()) + " on " + run.node() + ": "
                  + words(run));
        }
        return null;
      }, false);
      return;
    }
    if (kind != Origin.Kind.CRD) {
      return;
    }
    Instant due = claims.canonicalOf(run.key(), run.dueAt());
    Status.LastRun last = ResultStatus.lastRun(run, due == null ? run.dueAt() : due);
    boolean first = !run.dueAt().equals(attemptedFor.put(run.key(), run.dueAt()));
    TaskSpec spec = local.spec();
    RunNowClaims.Grant extra = claims.runNow.of(run.key(), run.dueAt()); // an extra run (run now), or null
    outage.retrying(run.key(), () -> {
      if (spec.nodes() == TaskSpec.Nodes.ALL) {
        applyNodeEntry(run, last, spec, local, extra);
      } else {
        writeResult(run, last, spec, extra != null, first);
      }
    }).onComplete(v -> vertx.executeBlocking(() -> { // the run happened, whether or not its status was written
      DelayedTaskResource r = link.task(run.namespace(), run.name());
      if (r == null) { // the informer's copy can be gone a moment (relisted after an API server restart)
        r = new DelayedTaskResource();
        r.getMetadata().setName(run.name());
        r.getMetadata().setNamespace(run.namespace());
        r.getMetadata().setUid(run.origin().id()); // a DelayedTask's origin id is its uid
      }
      Events.emit(link, r, ok(run) ? "Normal" : "Warning", ok(run) ? "RunSucceeded" : "RunFailed",
          (extra == null ? "" : "run-now request " + extra.requestId() + ", ") + "run due at " + last.dueAt
              + " on " + run.node() + ": " + words(run));
      return null;
    }, false));
  }

  /**
   * The result of an attempt of a nodes: one task; {@code extra}: of a run-now run (the schedule's due times stay);
   * {@code first}: the first attempt of its due time on this agent.
   */
  private void writeResult(RunRecord run, Status.LastRun last, TaskSpec spec, boolean extra, boolean first) {
    Conflicts.retry(5, attempt -> {
      DelayedTaskResource r = attempt == 0 ? link.task(run.namespace(), run.name())
          : link.client.resources(DelayedTaskResource.class).inNamespace(run.namespace()).withName(run.name()).get();
      if (r == null) {
        return null;
      }
      Status st = Wire.copy(r.getStatus());
      if (ResultStatus.counted(st, last, first)) { // else written late, after a later run's: nothing else moves back
        Instant claimed = Wire.instant(st.claimedFor);
        boolean laterClaimed = claimed != null && claimed.isAfter(Instant.parse(last.dueAt));
        if (!laterClaimed) { // never take back a later run's claim (it may be running on another node)
          st.claimedBy = run.node();
          st.claimedFor = last.dueAt;
        }
        st.progress = null;
        if (!laterClaimed && !extra) {
          PlannedStatus.after(st, spec, run.key(), Instant.parse(last.dueAt), link.clock.instant());
        }
      }
      st = DerivedStatus.of(st, spec, r.getMetadata().getGeneration(), link.clock.instant());
      link.wrote();
      link.client.resource(Wire.withStatus(r, st)).updateStatus();
      return null;
    }, () -> null);
  }

  private void applyNodeEntry(RunRecord run, Status.LastRun last, TaskSpec spec, DelayedTask local,
      RunNowClaims.Grant extra) {
    Status.NodeStatus entry = new Status.NodeStatus();
    entry.node = run.node();
    entry.lastRun = last;
    // this node's counters as of the run's start: an occurrence counts once it ends, so this one is still to add
    entry.runs = local.status().runs() + 1;
    entry.attempts = local.status().attempts() + (run.startedAt() == null ? 1 : 0); // a MISSED run never started
    entry.missed = local.status().missed() > 0 ? local.status().missed() : null; // as of this run (told at once by
    entry.skipped = local.status().skipped() > 0 ? local.status().skipped() : null; // the burst's Event)
    // a one-shot ends with its run, not with a run-now run before it (its due time still planned)
    entry.phase = spec.timing().oneShot() && !(extra != null && local.status().nextRunAt() != null)
        ? (ok(run) ? Status.Phase.Succeeded : Status.Phase.Failed) : Status.Phase.Scheduled;
    entry.nextRunAt = local.status().nextRunAt() == null ? null : local.status().nextRunAt().toString();
    Status st = new Status();
    st.nodes = List.of(entry);
    DelayedTaskResource seen = link.task(run.namespace(), run.name()); // the cluster's due times, as every node has
    // the run-now request this node ran: this one's, else kept (an apply without a field of its manager removes it)
    entry.lastRunNow = extra != null ? lastRunNow(extra, run.node()) : seen == null || seen.getStatus() == null
        || seen.getStatus().nodes == null ? null : seen.getStatus().nodes.stream()
        .filter(n -> run.node().equals(n.node)).map(n -> n.lastRunNow).filter(n -> n != null).findFirst().orElse(null);
    if (seen != null && !spec.timing().oneShot()) {
      PlannedStatus.fromSpec(st, spec, run.key(), Wire.specWrittenAt(seen), link.clock.instant());
    }
    DelayedTaskResource patch = new DelayedTaskResource();
    patch.getMetadata().setName(run.name());
    patch.getMetadata().setNamespace(run.namespace());
    patch.setStatus(st);
    link.wrote();
    link.client.resource(patch).subresource("status").patch(new PatchContext.Builder()
        .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager("nodepulse-" + run.node()).withForce(true).build());
  }

  private static boolean ok(RunRecord run) {
    return run.result().outcome() == RunResult.Outcome.SUCCEEDED;
  }

  private static String words(RunRecord run) {
    return run.result().outcome().name().toLowerCase() + (run.result().error() == null ? ""
        : ": " + DerivedStatus.clip(run.result().error()));
  }

  /**
   * Due times not run: one Warning Event naming them (one for the burst, not one per due time) and, for a
   * {@code nodes: one} DelayedTask, {@code status.missed} and {@code status.lastMissed}; due times skipped on purpose
   * (a run went on, concurrencyPolicy Forbid) alike, as a Normal Event {@code RunsSkipped}, {@code status.skipped}
   * and {@code status.lastSkipped}.
   */
  @Override
  public void missed(MissedBurst burst) {
    MissedBurst m = new MissedBurst(burst.namespace(), burst.name(), burst.origin(), burst.target(), burst.count(),
        claims.onClusterSchedule(burst.key(), burst.from()), claims.onClusterSchedule(burst.key(), burst.to()),
        burst.named().stream().map(d -> claims.onClusterSchedule(burst.key(), d)).toList(), burst.reason(),
        burst.node(), burst.at(), burst.skipped()); // the due times every agent agrees on, as lastRun.dueAt
    DelayedTask local = latest.get(m.key());
    if (local == null || local.spec() == null) {
      return;
    }
    String message = ResultStatus.missedWords(m);
    String type = m.skipped() ? "Normal" : "Warning";
    String reason = m.skipped() ? "RunsSkipped" : "RunsMissed";
    if (m.origin().kind() == Origin.Kind.CONFIGMAP) {
      vertx.executeBlocking(() -> {
        ConfigMapSource.Entry e = link.configMapTasks.get(m.key());
        if (e != null) {
          Events.emit(link, e.configMap(), type, reason, "task " + m.name() + ": " + message);
        }
        return null;
      }, false);
      return;
    }
    if (m.origin().kind() != Origin.Kind.CRD) {
      return;
    }
    boolean one = local.spec().nodes() == TaskSpec.Nodes.ONE;
    outage.retrying(m.key(), () -> {
      if (one) {
        writeMissed(m);
      }
    }).onSuccess(v -> vertx.executeBlocking(() -> {
      DelayedTaskResource r = link.task(m.namespace(), m.name());
      if (r != null) {
        Events.emit(link, r, type, reason, message);
      }
      return null;
    }, false));
  }

  private void writeMissed(MissedBurst m) {
    Conflicts.retry(5, attempt -> {
      DelayedTaskResource r = attempt == 0 ? link.task(m.namespace(), m.name())
          : link.client.resources(DelayedTaskResource.class).inNamespace(m.namespace()).withName(m.name()).get();
      if (r == null) {
        return null;
      }
      Status st = Wire.copy(r.getStatus());
      Status.LastMissed last = new Status.LastMissed();
      last.from = m.from().toString();
      last.to = m.to().toString();
      last.count = m.count();
      last.reason = DerivedStatus.clip(m.reason());
      if (m.skipped()) {
        st.skipped = (st.skipped == null ? 0 : st.skipped) + m.count();
        st.lastSkipped = last;
      } else {
        st.missed = (st.missed == null ? 0 : st.missed) + m.count();
        st.lastMissed = last;
      }
      link.wrote();
      link.client.resource(Wire.withStatus(r, st)).updateStatus();
      return null;
    }, () -> null);
  }

  static Status.LastRunNow lastRunNow(RunNowClaims.Grant g, String node) {
    Status.LastRunNow l = new Status.LastRunNow();
    l.requestId = g.requestId();
    l.at = g.at().toString();
    l.node = node;
    return l;
  }
}

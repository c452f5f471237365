package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Reachability;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The top-level status of {@code nodes: all} DelayedTasks. Each agent writes only its own {@code status.nodes} entry
 * (server-side apply, so agents never conflict); the phase, runs, last run, claimedBy, summary and conditions that
 * sum the entries up ({@link DerivedStatus}) are written by one agent, the one that speaks for the task (rendezvous
 * over the live Leases), whenever the informer shows them out of date: level-triggered, one conditional update on
 * the version seen. A conflict means a newer version is on its way through the informer, and is derived then; while
 * the API server is away it is looked at again every few seconds.
 */
final class NodeSummaries implements TaskInformers.Listener<DelayedTaskResource> {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSummaries.class);
  private static final long AGAIN_MS = 2_000;

  private final Vertx vertx;
  private final KubeLink link;
  /** Tasks with a write under way (one at a time per task; the newest version is looked at after it). */
  private final Set<String> writing = ConcurrentHashMap.newKeySet();

  NodeSummaries(Vertx vertx, KubeLink link) {
    this.vertx = vertx;
    this.link = link;
  }

  @Override
  public void upsert(DelayedTaskResource r) {
    if (r.getStatus() == null || r.getStatus().nodes == null || r.getStatus().nodes.isEmpty()) {
      return;
    }
    TaskSpec spec;
    try {
      spec = Wire.read(r).spec();
    } catch (TaskValidationException e) {
      return; // an invalid spec's status is StatusWrites.invalid's
    }
    String key = r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
    if (spec.nodes() != TaskSpec.Nodes.ALL || !link.speaksFor(key + "@summary") || link.client == null) {
      return;
    }
    Status derived = DerivedStatus.of(r.getStatus(), spec, r.getMetadata().getGeneration(), link.clock.instant());
    if (same(derived, r.getStatus()) || !writing.add(key)) {
      return;
    }
    vertx.executeBlocking(() -> {
      link.wrote();
      link.client.resource(Wire.withStatus(r, derived)).updateStatus(); // PUT on the resourceVersion seen
      return null;
    }, false).onComplete(ar -> {
      writing.remove(key);
      if (ar.succeeded()) {
        link.reach.reached();
      } else if (ar.cause() instanceof KubernetesClientException e && Conflicts.conflict(e)) {
        LOG.debug("summary of {}: a newer version came first", key);
      } else if (Reachability.recovers(ar.cause())) {
        link.reach.failed(ar.cause()); // the outage is told once
        vertx.setTimer(AGAIN_MS, id -> again(r));
        return;
      } else {
        LOG.warn("summary of {}: {}", key, Problems.describe(ar.cause()));
        return;
      }
      // a version the informer handed over during the write was passed by: look at it now; the version this write
      // was made on is followed by an event of its own
      DelayedTaskResource seen = link.task(r.getMetadata().getNamespace(), r.getMetadata().getName());
      if (seen != null && !Objects.equals(seen.getMetadata().getResourceVersion(),
          r.getMetadata().getResourceVersion())) {
        upsert(seen);
      }
    });
  }

  private void again(DelayedTaskResource r) {
    DelayedTaskResource seen = link.task(r.getMetadata().getNamespace(), r.getMetadata().getName());
    if (seen != null) {
      upsert(seen);
    }
  }

  private static boolean same(Status a, Status b) {
    return Wire.JSON.asJson(a).equals(Wire.JSON.asJson(b));
  }

  @Override
  public void delete(DelayedTaskResource r) {}
}

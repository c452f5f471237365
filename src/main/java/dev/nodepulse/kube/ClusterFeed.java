package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.ClusterStatus;
import dev.nodepulse.tasks.model.LocalCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Tells the task pipeline what the cluster shows of each task ({@link ClusterStatus} on its address), so that every
 * agent's REST API and page show a task's cluster status, not only the runs made on its own node: a DelayedTask's
 * status as the informer has it, and a {@code nodes: one} ConfigMap task's latest claim and outcome from its claim
 * Lease ({@link ClaimLeases}), derived as a DelayedTask's status is ({@link DerivedStatus}). The handlers run on the
 * informers' threads; publishing does not block.
 */
final class ClusterFeed {
  private final Vertx vertx;
  private final KubeLink link;

  ClusterFeed(Vertx vertx, KubeLink link) {
    this.vertx = vertx;
    this.link = link;
    LocalCodec.register(vertx);
  }

  /** DelayedTasks: their status as the informer has it. */
  TaskInformers.Listener<DelayedTaskResource> tasks() {
    return new TaskInformers.Listener<>() {
      @Override
      public void upsert(DelayedTaskResource r) {
        Status st = r.getStatus();
        publish(key(r), r.getMetadata().getUid(), st == null ? null : new JsonObject(Wire.JSON.asJson(st)));
      }

      @Override
      public void delete(DelayedTaskResource r) {
        publish(key(r), r.getMetadata().getUid(), null);
      }
    };
  }

  /** ConfigMaps holding tasks, after their source read them: each task's claim Lease, now that its spec is known. */
  TaskInformers.Listener<ConfigMap> configMaps() {
    return new TaskInformers.Listener<>() {
      @Override
      public void upsert(ConfigMap cm) {
        ClaimLeases leases = link.claimLeases;
        if (leases == null || cm.getData() == null) {
          return;
        }
        for (String k : cm.getData().keySet()) {
          String task = cm.getMetadata().getNamespace() + "/" + cm.getMetadata().getName() + "." + k;
          Lease l = leases.cached(task);
          if (l != null) {
            claim(task, l);
          }
        }
      }

      @Override
      public void delete(ConfigMap cm) {}
    };
  }

  /** Claim Leases of ConfigMap tasks. */
  TaskInformers.Listener<Lease> claims() {
    return new TaskInformers.Listener<>() {
      @Override
      public void upsert(Lease l) {
        String task = ClaimLeases.taskOf(l);
        if (task != null) {
          claim(task, l);
        }
      }

      @Override
      public void delete(Lease l) {
        String task = ClaimLeases.taskOf(l);
        if (task != null) {
          publish(task, null, null);
        }
      }
    };
  }

  private void claim(String task, Lease l) {
    ConfigMapSource.Entry e = link.configMapTasks.get(task);
    if (e == null) {
      return; // not read yet: told again when its ConfigMap is (configMaps())
    }
    Status facts = ClaimLeases.status(l);
    // "now" is when the Lease was last written, so every agent derives the same conditions from the same Lease
    java.time.Instant written = l.getSpec() == null || l.getSpec().getRenewTime() == null ? link.clock.instant()
        : l.getSpec().getRenewTime().toInstant();
    publish(task, null, new JsonObject(Wire.JSON.asJson(DerivedStatus.of(facts, e.spec(), null, written))));
  }

  private void publish(String key, String uid, JsonObject status) {
    vertx.eventBus().publish(ClusterStatus.ADDRESS, new ClusterStatus(key, uid, status));
  }

  private static String key(DelayedTaskResource r) {
    return r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }

}

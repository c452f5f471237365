package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Reachability;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.TaskSpec;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DelayedTask's status subresource written whole: read, derived again ({@link DerivedStatus}), written on the
 * condition that nothing changed it meanwhile (a conflict is read again and retried). Blocking.
 */
final class StatusWrites {
  private static final Logger LOG = LoggerFactory.getLogger(StatusWrites.class);

  private StatusWrites() {}

  /**
   * Writes the status derived again from its facts with {@code spec} (nothing ran: e.g. {@code spec.suspend} was
   * set or cleared, which the {@code Suspended} condition shows).
   */
  static void derive(KubeLink link, DelayedTaskResource r, TaskSpec spec) {
    write(link, r, cur -> DerivedStatus.of(cur.getStatus() == null ? new Status() : cur.getStatus(), spec,
        cur.getMetadata().getGeneration(), link.clock.instant()));
  }

  /** An invalid spec, in status: phase Failed, Ready False with the message (one agent writes it). Blocking. */
  static void invalid(KubeLink link, DelayedTaskResource r, String message) {
    write(link, r, cur -> DerivedStatus.invalid(cur.getStatus(), message, cur.getMetadata().getGeneration(),
        link.clock.instant()));
  }

  private static void write(KubeLink link, DelayedTaskResource r,
      java.util.function.Function<DelayedTaskResource, Status> derive) {
    Conflicts.retry(5, attempt -> {
      DelayedTaskResource cur = attempt == 0 ? r
          : link.client.resources(DelayedTaskResource.class).inNamespace(r.getMetadata().getNamespace())
              .withName(r.getMetadata().getName()).get();
      if (cur == null) {
        return null;
      }
      Status st = derive.apply(cur);
      try {
        link.wrote();
        link.client.resource(Wire.withStatus(cur, st)).updateStatus();
      } catch (KubernetesClientException e) {
        if (Conflicts.conflict(e)) {
          throw e; // another writer was first: read again
        }
        if (Reachability.recovers(e)) {
          link.reach.failed(e); // an outage: told once for every caller
        } else {
          LOG.warn("status of {}/{}: {}", r.getMetadata().getNamespace(), r.getMetadata().getName(), Problems.describe(e));
        }
      }
      return null;
    }, () -> null);
  }
}

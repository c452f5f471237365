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
import dev.nodepulse.tasks.run.DuePlan;
import dev.nodepulse.tasks.run.Jitter;
import dev.nodepulse.tasks.run.Preview;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code status.nextRunAt} and {@code status.nextRuns} of a DelayedTask (the {@code Next Run} column): the cluster's
 * due times, which every agent computes alike: counted from when the spec was written, with the jitter every agent
 * agrees on ({@link Jitter#shared}: the task's own for {@code nodes: one}; none for {@code nodes: all}, whose nodes
 * each add their own, shown in their {@code nodes[].nextRunAt}). Set with the claim and the result of each run, and,
 * before the first run, once per spec generation by the one agent that speaks for it ({@link #announce}).
 */
final class PlannedStatus {
  private static final Logger LOG = LoggerFactory.getLogger(PlannedStatus.class);

  private PlannedStatus() {}

  /** The due times after the run due at {@code due} (its canonical due time), strictly after now. */
  static void after(Status st, TaskSpec spec, String key, Instant due, Instant now) {
    set(st, Preview.after(plan(spec, key), due, now));
  }

  /** The due times from the spec's write time, the first one after now for a recurring task. */
  static void fromSpec(Status st, TaskSpec spec, String key, Instant writtenAt, Instant now) {
    set(st, Preview.of(plan(spec, key), writtenAt, now));
  }

  static void set(Status st, List<Instant> next) {
    st.nextRuns = next.isEmpty() ? null : next.stream().map(Instant::toString).toList();
    st.nextRunAt = next.isEmpty() ? null : next.getFirst().toString();
  }

  private static DuePlan plan(TaskSpec spec, String key) {
    return new DuePlan(spec.timing(), Jitter.shared(spec, key));
  }

  /**
   * Before the first run of a spec generation: its due times, schedule and phase Scheduled, unless the status
   * already describes that generation (a claim or a result, or another agent, was first). One conditional write;
   * blocking.
   */
  static void announce(KubeLink link, String namespace, String name, long generation) {
    String key = namespace + "/" + name;
    try {
      Conflicts.retry(5, attempt -> {
        DelayedTaskResource r = attempt == 0 ? link.task(namespace, name)
            : link.client.resources(DelayedTaskResource.class).inNamespace(namespace).withName(name).get();
        if (r == null || !Objects.equals(r.getMetadata().getGeneration(), generation)) {
          return null;
        }
        Status st = Wire.copy(r.getStatus());
        if (Objects.equals(st.observedGeneration, generation)) {
          return null; // written for this generation already
        }
        TaskSpec spec;
        try {
          spec = Wire.read(r).spec();
        } catch (TaskValidationException e) {
          return null; // the invalid spec's status is StatusWrites.invalid's
        }
        Instant now = link.clock.instant();
        fromSpec(st, spec, key, Wire.specWrittenAt(r), now);
        st = DerivedStatus.of(st, spec, generation, now); // phase, schedule, conditions: derived in one place
        link.wrote();
        link.client.resource(Wire.withStatus(r, st)).updateStatus();
        return null;
      }, () -> null);
    } catch (KubernetesClientException e) {
      if (Reachability.recovers(e)) {
        link.reach.failed(e); // an outage: told once; the first run's writes set the due times
      } else {
        LOG.warn("status of {}: {}", key, Problems.describe(e));
      }
    }
  }
}

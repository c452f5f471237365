package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.util.Sha256;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * The cluster-wide claim records of ConfigMap tasks with {@code nodes: one} (the agent may only read ConfigMaps, so
 * a task's claims cannot live on its object as DelayedTasks' do in their status). One {@code coordination.k8s.io/v1}
 * Lease per task, in the agents' namespace, named {@code nodepulse-task-<hash of namespace/name>}, labelled
 * {@code nodepulse.dev/claim=true}: holder = the node that claimed the latest run; annotations name the task, the
 * due time claimed ({@code claimed-for}), the due time finished ({@code finished-for}) and its outcome. Every write
 * is conditional on the resourceVersion read (a create fails when the Lease exists), so two agents claiming the same
 * due time cannot both succeed. Deleted when the task is withdrawn; one left behind is deleted by {@link #sweep}.
 * Reads come from one informer; writes block: call them off the event loop.
 */
final class ClaimLeases implements AutoCloseable {
  static final String CLAIM_LABEL = "nodepulse.dev/claim";
  static final String TASK = "nodepulse.dev/task";
  static final String CLAIMED_FOR = "nodepulse.dev/claimed-for";
  static final String FINISHED_FOR = "nodepulse.dev/finished-for";
  static final String OUTCOME = "nodepulse.dev/outcome";
  /** Runs recorded so far (due times finished, LOST ones included). */
  static final String RUNS = "nodepulse.dev/runs";

  private final KubernetesClient client;
  private final KubeSettings settings;
  private final SharedIndexInformer<Lease> informer;

  ClaimLeases(KubernetesClient client, KubeSettings settings) {
    this.client = client;
    this.settings = settings;
    this.informer = client.leases().inNamespace(settings.leaseNamespace()).withLabel(CLAIM_LABEL, "true")
        .runnableInformer(settings.resync().toMillis());
  }

  /** Starts the informer; completes once the first listing is in. */
  CompletionStage<Void> start() {
    return informer.start();
  }

  /** The Lease's name for a task: a DNS label whatever the ConfigMap key (keys may hold '_' and capitals). */
  static String leaseName(String taskKey) {
    return "nodepulse-task-" + Sha256.hex(taskKey, 10);
  }

  /** The task's claim Lease as last seen (null when none). */
  Lease cached(String taskKey) {
    Lease l = informer.getStore().getByKey(settings.leaseNamespace() + "/" + leaseName(taskKey));
    return l != null && taskKey.equals(annotation(l, TASK)) ? l : null;
  }

  /** Every claim Lease as last seen. */
  java.util.List<Lease> all() {
    return informer.getStore().list();
  }

  /** The task's claim Lease as the API server has it now (null when none). Blocking. */
  Lease read(String taskKey) {
    Lease l = client.leases().inNamespace(settings.leaseNamespace()).withName(leaseName(taskKey)).get();
    return l != null && taskKey.equals(annotation(l, TASK)) ? l : null;
  }

  /** The shared facts of a claim Lease, as {@link ClaimRule} reads them. */
  static ClaimRule.Shared shared(Lease l) {
    if (l == null) {
      return ClaimRule.Shared.NONE;
    }
    return new ClaimRule.Shared(Wire.instant(annotation(l, CLAIMED_FOR)),
        l.getSpec() == null ? null : l.getSpec().getHolderIdentity(), Wire.instant(annotation(l, FINISHED_FOR)),
        l.getSpec() == null || l.getSpec().getRenewTime() == null ? null : l.getSpec().getRenewTime().toInstant());
  }

  /**
   * Claims the run due at {@code due} for this node: creates the Lease, or updates {@code current} conditionally on
   * its resourceVersion. {@code lostOutcome}: the run was held by a node that stopped; record it finished with that
   * outcome instead. Throws the API server's answer (409: another agent wrote first).
   */
  void claim(String taskKey, Lease current, Instant due, Instant now, String lostOutcome) {
    Map<String, String> notes = new LinkedHashMap<>();
    notes.put(TASK, taskKey);
    notes.put(CLAIMED_FOR, due.toString());
    if (lostOutcome != null) {
      notes.put(FINISHED_FOR, due.toString());
      notes.put(OUTCOME, lostOutcome);
      notes.put(RUNS, Long.toString(runs(current) + 1));
    }
    write(taskKey, current, notes, now);
  }

  /** Records the run due at {@code due} as finished with {@code outcome} (conditional; a conflict is read again). */
  void finished(String taskKey, Instant due, String outcome, Instant now) {
    Conflicts.retry(5, attempt -> {
      Lease current = attempt == 0 ? cached(taskKey) : null;
      if (!holds(current, due)) {
        current = read(taskKey); // the cache may not have this node's claim yet; after a conflict, read again
      }
      if (holds(current, due)) {
        // a retry of a due time already finished is one more attempt, not one more run
        long runs = runs(current) + (due.toString().equals(annotation(current, FINISHED_FOR)) ? 0 : 1);
        write(taskKey, current, Map.of(FINISHED_FOR, due.toString(), OUTCOME, outcome, RUNS, Long.toString(runs)),
            now);
      }
      return null;
    }, () -> null);
  }

  /** True when {@code l} holds this node's claim of the run due at {@code due}. */
  private boolean holds(Lease l, Instant due) {
    return l != null && due.equals(shared(l).claimedFor()) && settings.node().equals(l.getSpec().getHolderIdentity());
  }

  private void write(String taskKey, Lease current, Map<String, String> notes, Instant now) {
    var leases = client.leases().inNamespace(settings.leaseNamespace());
    int seconds = (int) Math.max(1, settings.leaseDuration().toSeconds());
    if (current == null) {
      leases.resource(new LeaseBuilder().withNewMetadata().withName(leaseName(taskKey))
          .withNamespace(settings.leaseNamespace()).addToLabels(CLAIM_LABEL, "true")
          .addToLabels("app.kubernetes.io/name", "nodepulse").addToAnnotations(notes).endMetadata()
          .withNewSpec().withHolderIdentity(settings.node()).withLeaseDurationSeconds(seconds)
          .withAcquireTime(LeaseHeartbeat.micro(now)).withRenewTime(LeaseHeartbeat.micro(now)).withLeaseTransitions(0)
          .endSpec().build()).create(); // 409 when another agent created it first
      return;
    }
    Lease next = new LeaseBuilder(current).build();
    Map<String, String> annotations = new LinkedHashMap<>(next.getMetadata().getAnnotations() == null ? Map.of()
        : next.getMetadata().getAnnotations());
    if (notes.containsKey(CLAIMED_FOR)) {
      annotations.remove(FINISHED_FOR); // a new claim: nothing of it finished yet
      annotations.remove(OUTCOME);
    }
    annotations.putAll(notes);
    next.getMetadata().setAnnotations(annotations);
    String holder = next.getSpec().getHolderIdentity();
    if (!settings.node().equals(holder)) {
      next.getSpec().setHolderIdentity(settings.node());
      next.getSpec().setAcquireTime(LeaseHeartbeat.micro(now));
      next.getSpec().setLeaseTransitions((next.getSpec().getLeaseTransitions() == null ? 0
          : next.getSpec().getLeaseTransitions()) + 1);
    }
    next.getSpec().setRenewTime(LeaseHeartbeat.micro(now));
    next.getSpec().setLeaseDurationSeconds(seconds);
    leases.resource(next).update(); // PUT with the resourceVersion read: conditional
  }

  /** Deletes the task's claim Lease, conditional on the version last seen (a newer claim is left alone). */
  void delete(String taskKey) {
    Lease l = cached(taskKey);
    if (l != null) {
      deleteSeen(l);
    }
  }

  /**
   * Deletes the claim Leases left behind (their task withdrawn while no agent was there to delete them, or its
   * deletion failed): those whose task is not {@code known}, in a namespace this agent watches, and not written
   * for {@code quiet} (so a task that another agent has just seen and this one not yet keeps its claim).
   * {@code mine} picks the Leases this agent speaks for, so one agent deletes each. Returns how many it deleted.
   */
  int sweep(Predicate<String> known, Predicate<String> mine, Duration quiet, Instant now) {
    int deleted = 0;
    for (Lease l : informer.getStore().list()) {
      String task = annotation(l, TASK);
      Instant written = l.getSpec() == null || l.getSpec().getRenewTime() == null ? null
          : l.getSpec().getRenewTime().toInstant();
      if (task == null || known.test(task) || !watched(task) || (written != null && written.plus(quiet).isAfter(now))
          || !mine.test(l.getMetadata().getName())) {
        continue;
      }
      if (deleteSeen(l)) {
        deleted++;
      }
    }
    return deleted;
  }

  private boolean watched(String taskKey) {
    int slash = taskKey.indexOf('/');
    return settings.namespaces().isEmpty() || (slash > 0 && settings.namespaces().contains(taskKey.substring(0, slash)));
  }

  private boolean deleteSeen(Lease l) {
    try {
      return !client.leases().inNamespace(settings.leaseNamespace()).withName(l.getMetadata().getName())
          .lockResourceVersion(l.getMetadata().getResourceVersion()).delete().isEmpty();
    } catch (KubernetesClientException e) {
      if (Conflicts.conflict(e) || e.getCode() == 404) {
        return false; // claimed again meanwhile, or already gone
      }
      throw e;
    }
  }

  private static long runs(Lease l) {
    try {
      return l == null || annotation(l, RUNS) == null ? 0 : Long.parseLong(annotation(l, RUNS));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The task a claim Lease is of ({@code namespace/name}), or null. */
  static String taskOf(Lease l) {
    return annotation(l, TASK);
  }

  /**
   * The claim facts of a claim Lease as a DelayedTask's status records them, for {@link DerivedStatus}: claimedBy
   * (the holder), claimedFor, and once that claim's run finished, lastRun (due time, outcome, node) and runs.
   */
  static Status status(Lease l) {
    Status st = new Status();
    st.claimedBy = l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
    st.claimedFor = annotation(l, CLAIMED_FOR);
    String finished = annotation(l, FINISHED_FOR);
    if (finished != null) {
      Status.LastRun r = new Status.LastRun();
      r.dueAt = finished;
      r.outcome = annotation(l, OUTCOME);
      boolean lost = "LOST".equals(r.outcome);
      r.node = lost ? null : st.claimedBy; // a LOST run: the node that stopped is named by its RunLost Event
      r.error = lost ? "the agent that claimed it stopped during the run; its outcome is unknown" : null;
      st.lastRun = r;
    }
    st.runs = annotation(l, RUNS) == null ? null : runs(l);
    return st;
  }

  /** Who hears of every claim Lease added, changed or deleted (on the informer's thread). Before {@link #start}. */
  void listen(TaskInformers.Listener<Lease> listener) {
    informer.addEventHandler(listener.handler());
  }

  private static String annotation(Lease l, String key) {
    return l.getMetadata().getAnnotations() == null ? null : l.getMetadata().getAnnotations().get(key);
  }

  @Override
  public void close() {
    informer.close();
  }

  /** Who hears of the informer's failures (instead of fabric8's own log lines). */
  void failures(io.fabric8.kubernetes.client.informers.ExceptionHandler handler) {
    informer.exceptionHandler(handler);
  }
}

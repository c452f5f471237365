package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.rules.Rendezvous;
import dev.nodepulse.kube.wire.EventBacklog;
import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.kube.wire.Reachability;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What the Kubernetes plugins (claims, status, secrets, sources) share: the client once connected, the agents'
 * Leases, the DelayedTasks as the informer last saw them, this node, and a count of the writes made to tasks
 * (claims and results; tests and the benchmark read it: {@link #ALL_TASK_WRITES}).
 */
final class KubeLink {
  final KubeSettings settings;
  final Clock clock;
  /** Whether the API server answers: one log line per episode for every caller. */
  final Reachability reach;
  /** Writes to DelayedTasks by every agent in this JVM (tests and the benchmark run several agents in one). */
  static final AtomicLong ALL_TASK_WRITES = new AtomicLong();
  volatile KubernetesClient client;
  volatile Supplier<List<AgentLease>> leases = List::of;
  /** True when this agent claimed the run of {@code namespace/name} due at {@code due} since it started. */
  volatile java.util.function.BiPredicate<String, Instant> runsHere = (key, due) -> false;
  /** Removes members passed over in a claim cascade ({@link LeaseView#removeSilent}); set once watching. */
  volatile java.util.function.Consumer<List<String>> removeSilent = nodes -> {};
  volatile TaskInformers informers;
  /** The claim records of ConfigMap tasks, once watched. */
  volatile ClaimLeases claimLeases;
  /** Told {@code namespace/name} when a source withdraws that task, so what is kept per task does not only grow. */
  volatile java.util.function.Consumer<String> withdrawn = key -> {};
  /** Events kept while the API server was away, written when it is back ({@link Events}). */
  final EventBacklog events = new EventBacklog();
  /** ConfigMap tasks by {@code namespace/name}, kept by the ConfigMap source. */
  final java.util.Map<String, ConfigMapSource.Entry> configMapTasks = new java.util.concurrent.ConcurrentHashMap<>();

  KubeLink(KubeSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.reach = new Reachability(clock);
  }

  /** The DelayedTask {@code namespace/name} as last seen, or null. */
  DelayedTaskResource task(String namespace, String name) {
    TaskInformers i = informers;
    return i == null ? null : i.task(namespace, name);
  }

  /** Counts one write to a DelayedTask (made or attempted). */
  void wrote() {
    ALL_TASK_WRITES.incrementAndGet();
  }

  /**
   * True when this agent is the one to speak for {@code key} (one Event or status write where every agent sees the
   * same thing): the first live node in rendezvous order; also true while no live Lease is known yet.
   */
  boolean speaksFor(String key) {
    var members = leases.get().stream().map(AgentLease::node).toList();
    return members.isEmpty() || Rendezvous.candidate(key, members).map(settings.node()::equals).orElse(true);
  }

  /**
   * This agent's claim cascade for a run due at {@code due} ({@link ClaimRule.Timing}): from the due time, or from
   * when the API server last became reachable again if later (after an outage or a start, every agent would
   * otherwise find every rank's turn passed and claim at once); a step of a third of the lease duration.
   */
  ClaimRule.Timing timing(Instant due) {
    Instant since = reach.reachableSince();
    Instant from = since != null && since.isAfter(due) ? since : due;
    return new ClaimRule.Timing(from, settings.leaseDuration().dividedBy(3), settings.leaseDuration());
  }

  /** Members ranked before this agent let their turn pass while it claimed: remove those gone (off the loop). */
  void passedOver(List<String> nodes) {
    if (!nodes.isEmpty()) {
      removeSilent.accept(nodes);
    }
  }

  /**
   * True while this agent holds a claimed {@code nodes: one} run that has not finished, as the claim records show
   * (the DelayedTasks' status, the ConfigMap tasks' claim Leases): its Lease is renewed meanwhile.
   */
  boolean holdsRun() {
    TaskInformers i = informers;
    if (i != null && i.tasks().stream().anyMatch(t -> held(t.getMetadata().getNamespace() + "/"
        + t.getMetadata().getName(), KubeClaims.shared(t)))) {
      return true;
    }
    ClaimLeases c = claimLeases;
    return c != null && c.all().stream().anyMatch(l -> held(ClaimLeases.taskOf(l), ClaimLeases.shared(l)));
  }

  /**
   * The record shows this node's unfinished claim, made by this process (a claim left by this node before it
   * restarted is not run here: the others take it over, or this agent does when its scheduler asks again).
   */
  private boolean held(String key, ClaimRule.Shared s) {
    return key != null && settings.node().equals(s.claimedBy()) && s.claimedFor() != null
        && (s.finishedFor() == null || s.finishedFor().isBefore(s.claimedFor()))
        && runsHere.test(key, s.claimedFor());
  }

  String node() {
    return settings.node();
  }
}

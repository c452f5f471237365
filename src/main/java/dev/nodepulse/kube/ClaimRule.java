package dev.nodepulse.kube;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who starts a {@code nodes: one} run, as a pure function of what every agent sees alike: the task's shared status
 * (which due time is claimed, by whom, which one finished), the agents' Leases and the time. A run is keyed by the
 * task's identity and its due time; the nodes are ranked for that key by {@link Rendezvous} and the first one whose
 * Lease is live is the candidate. Only the candidate writes (a conditional status write: the claim); the others
 * wait until the candidate's Lease would expire and decide again, so a dead candidate is replaced by the next in
 * rank, never by a race of every agent. An agent that claimed an earlier due time it did not run (a catch-up runs the
 * latest due time instead) claims the later one itself.
 */
public final class ClaimRule {
  private ClaimRule() {}

  /** The shared facts of one task, from its status: the claimed due time and node, and the last finished due time. */
  public record Shared(Instant claimedFor, String claimedBy, Instant finishedFor) {
    public static final Shared NONE = new Shared(null, null, null);
  }

  /** What this agent does about one due run. */
  public sealed interface Decision permits Claim, Wait, Taken, NoLiveAgent, Missed, TakeOver {}

  /** Claim the run (a conditional status write), then start it. */
  public record Claim() implements Decision {}

  /** Another agent is the candidate: decide again at {@code until} (its Lease's expiry) or when the status changes. */
  public record Wait(String candidate, Instant until) implements Decision {}

  /** Nothing to do: the run is claimed or done ({@code reason} says which). */
  public record Taken(String reason) implements Decision {}

  /**
   * No live agent matches the nodeSelector; also what an agent sees while the API server is away (no Lease
   * renewed), so the caller looks again until its deadline.
   */
  public record NoLiveAgent() implements Decision {
    public String reason() {
      return "no live agent matches the nodeSelector";
    }
  }

  /** The run is past its starting deadline and nobody started it: record it as MISSED (this agent is the candidate). */
  public record Missed() implements Decision {}

  /** The agent on {@code deadNode} claimed the run and stopped before it finished: record it LOST (and retry). */
  public record TakeOver(String deadNode) implements Decision {}

  /**
   * Decides for one run.
   *
   * @param self this agent's node
   * @param taskKey the task's {@code namespace/name}
   * @param dueAt the run's due time
   * @param shared the task's shared status
   * @param runningHere true while this agent runs that due time itself
   * @param forbid the task's concurrencyPolicy is Forbid: no run starts while another agent's run of it goes on
   * @param leases every agent Lease known (live or not)
   * @param selector the task's nodeSelector
   * @param deadline the task's startingDeadline, or null for none
   * @param now the time
   */
  public static Decision decide(String self, String taskKey, Instant dueAt, Shared shared, boolean runningHere,
      boolean forbid, Collection<AgentLease> leases, Map<String, String> selector, Duration deadline, Instant now) {
    if (shared.claimedFor() != null && shared.claimedFor().isAfter(dueAt)) {
      return new Taken("a later run is claimed");
    }
    if (shared.finishedFor() != null && !shared.finishedFor().isBefore(dueAt)) {
      return new Taken("finished");
    }
    String key = Rendezvous.runKey(taskKey, dueAt);
    if (shared.claimedFor() != null && shared.claimedFor().equals(dueAt)) {
      if (runningHere) {
        return new Taken("running here");
      }
      String holder = shared.claimedBy();
      Optional<AgentLease> holderLease = leases.stream().filter(l -> l.node().equals(holder)).findFirst();
      if (!self.equals(holder) && holderLease.isPresent() && holderLease.get().liveAt(now)) {
        return new Wait(holder, holderLease.get().expiresAt());
      }
      if (self.equals(holder)) {
        return new TakeOver(holder); // this agent restarted during its own run
      }
      return candidate(key, leases, selector, now).map(c -> c.node().equals(self)
          ? (Decision) new TakeOver(holder) : new Wait(c.node(), c.expiresAt()))
          .orElse(new NoLiveAgent());
    }
    if (forbid && stillRunningElsewhere(self, dueAt, shared, leases, now)) {
      return new Taken("the run due at " + shared.claimedFor() + " is still going on " + shared.claimedBy()
          + " (concurrencyPolicy: Forbid)");
    }
    boolean late = deadline != null && now.isAfter(dueAt.plus(deadline));
    if (self.equals(shared.claimedBy()) && shared.claimedFor() != null && shared.claimedFor().isBefore(dueAt)
        && (shared.finishedFor() == null || shared.finishedFor().isBefore(shared.claimedFor()))) {
      // this agent claimed an earlier due time and did not run it: the catch-up after a takeover or an outage runs
      // the latest due time instead (tasks/run/Catchup); that one's candidate learned the earlier one was taken and
      // planned past it, so the claimer claims it itself (waiting for the candidate would stall for 4 leases)
      return late ? new Missed() : new Claim();
    }
    Optional<AgentLease> c = candidate(key, leases, selector, now);
    if (c.isEmpty()) {
      return new NoLiveAgent();
    }
    if (!c.get().node().equals(self)) {
      return new Wait(c.get().node(), c.get().expiresAt());
    }
    return late ? new Missed() : new Claim();
  }

  /**
   * A due time before {@code dueAt} is claimed by another agent whose Lease is live and has not finished: its run
   * goes on (an agent that waited for it may have given up, or learnt of the previous run's end only after
   * {@code dueAt} came).
   */
  static boolean stillRunningElsewhere(String self, Instant dueAt, Shared shared, Collection<AgentLease> leases,
      Instant now) {
    String holder = shared.claimedBy();
    return shared.claimedFor() != null && shared.claimedFor().isBefore(dueAt) && holder != null
        && !self.equals(holder)
        && (shared.finishedFor() == null || shared.finishedFor().isBefore(shared.claimedFor()))
        && leases.stream().anyMatch(l -> l.node().equals(holder) && l.liveAt(now));
  }

  /** The first node in rendezvous order for {@code key} whose Lease is live and matches the selector. */
  static Optional<AgentLease> candidate(String key, Collection<AgentLease> leases,
      Map<String, String> selector, Instant now) {
    List<AgentLease> live = leases.stream().filter(l -> l.liveAt(now) && l.matches(selector)).toList();
    return Rendezvous.candidate(key, live.stream().map(AgentLease::node).toList())
        .flatMap(n -> live.stream().filter(l -> l.node().equals(n)).findFirst());
  }
}

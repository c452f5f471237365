package dev.nodepulse.kube.rules;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Who starts a {@code nodes: one} run, as a pure function of what every agent sees alike: the task's shared status
 * (which due time is claimed, by whom and when, which one finished), the agents' Leases (who is a member, with which
 * node labels) and the time. A run is keyed by the task's identity and its due time; the members that match the
 * nodeSelector are ranked for that key by {@link Rendezvous} and claim in a cascade: the first in rank claims at once,
 * the one ranked k-th only from {@code k} steps later and only if nobody claimed before (the claim is a conditional
 * status write, so two claimers never both succeed). No agent needs the others' heartbeats for that: a member that is
 * gone only costs its step. A claimed run's holder is live for one lease duration after its claim or its Lease's
 * latest renewal, whichever is later (an agent renews its Lease only while it holds a run); a holder no longer live
 * stopped during the run, and the others take over in the same cascade. An agent that claimed an earlier due time it
 * did not run (a catch-up runs the latest due time instead) claims the later one itself.
 */
public final class ClaimRule {
  private ClaimRule() {}

  /**
   * The shared facts of one task, from its status: the claimed due time, node and when it was claimed (null when
   * unknown), and the last finished due time.
   */
  public record Shared(Instant claimedFor, String claimedBy, Instant finishedFor, Instant claimedAt) {
    public static final Shared NONE = new Shared(null, null, null, null);
  }

  /**
   * This agent's cascade: it starts at {@code from} (the due time, or later when this agent could only decide later:
   * it started, or the API server was away), the member ranked k-th may claim from {@code from + k * step}; a
   * holder is live for {@code lease} after its claim or renewal.
   */
  public record Timing(Instant from, Duration step, Duration lease) {
    Instant slot(int rank) {
      return from.plus(step.multipliedBy(rank));
    }

    Timing from(Instant later) {
      return later == null || !later.isAfter(from) ? this : new Timing(later, step, lease);
    }
  }

  /** What this agent does about one due run. */
  public sealed interface Decision permits Claim, Wait, Taken, NoLiveAgent, Missed, TakeOver {}

  /** Claim the run (a conditional status write), then start it; {@code passedOver}: members ranked before, silent. */
  public record Claim(List<String> passedOver) implements Decision {
    public Claim {
      passedOver = List.copyOf(passedOver);
    }
  }

  /** Another agent goes first: decide again at {@code until} or when the status changes. */
  public record Wait(String candidate, Instant until) implements Decision {}

  /** Nothing to do: the run is claimed or done ({@code reason} says which). */
  public record Taken(String reason) implements Decision {}

  /** No member matches the nodeSelector: the caller looks again until its deadline. */
  public record NoLiveAgent() implements Decision {
    public String reason() {
      return "no agent matches the nodeSelector";
    }
  }

  /** The run is past its starting deadline and nobody started it: record it as MISSED (this agent's turn). */
  public record Missed(List<String> passedOver) implements Decision {
    public Missed {
      passedOver = List.copyOf(passedOver);
    }
  }

  /** The agent on {@code deadNode} claimed the run and stopped before it finished: record it LOST (and retry). */
  public record TakeOver(String deadNode, List<String> passedOver) implements Decision {
    public TakeOver {
      passedOver = List.copyOf(passedOver);
    }
  }

  /**
   * Decides for one run.
   *
   * @param self this agent's node
   * @param taskKey the task's {@code namespace/name}
   * @param dueAt the run's due time
   * @param shared the task's shared status
   * @param runningHere true while this agent runs that due time itself
   * @param forbid the task's concurrencyPolicy is Forbid: no run starts while another agent's run of it goes on
   * @param members every agent Lease known (the members)
   * @param selector the task's nodeSelector
   * @param deadline the task's startingDeadline, or null for none
   * @param timing this agent's cascade
   * @param now the time
   */
  public static Decision decide(String self, String taskKey, Instant dueAt, Shared shared, boolean runningHere,
      boolean forbid, Collection<AgentLease> members, Map<String, String> selector, Duration deadline, Timing timing,
      Instant now) {
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
      if (self.equals(holder)) {
        return new TakeOver(holder, List.of()); // this agent restarted during its own run
      }
      Instant until = holderLiveUntil(shared, members, timing);
      if (until != null && now.isBefore(until)) {
        return new Wait(holder, until);
      }
      List<AgentLease> others = members.stream().filter(l -> !l.node().equals(holder)).toList();
      return cascade(self, key, others, selector, timing.from(until), now, passed -> new TakeOver(holder, passed));
    }
    if (forbid && stillRunningElsewhere(self, dueAt, shared, members, timing, now)) {
      return new Taken("the run due at " + shared.claimedFor() + " is still going on " + shared.claimedBy()
          + " (concurrencyPolicy: Forbid)");
    }
    boolean late = deadline != null && now.isAfter(dueAt.plus(deadline));
    if (self.equals(shared.claimedBy()) && shared.claimedFor() != null && shared.claimedFor().isBefore(dueAt)
        && (shared.finishedFor() == null || shared.finishedFor().isBefore(shared.claimedFor()))) {
      // this agent claimed an earlier due time and did not run it: the catch-up after a takeover or an outage runs
      // the latest due time instead (tasks/run/Catchup); that one's candidate learned the earlier one was taken and
      // planned past it, so the claimer claims it itself (waiting for the candidate would stall the task)
      return late ? new Missed(List.of()) : new Claim(List.of());
    }
    return cascade(self, key, members, selector, timing, now,
        passed -> late ? new Missed(passed) : new Claim(passed));
  }

  /**
   * The cascade for {@code key}: this agent's turn comes at its rank's slot among the members that match the
   * selector; {@code turn} makes the decision from the members passed over.
   */
  public static Decision cascade(String self, String key, Collection<AgentLease> members, Map<String, String> selector,
      Timing timing, Instant now, Function<List<String>, Decision> turn) {
    List<String> ranked = Rendezvous.rank(key, members.stream().filter(l -> l.matches(selector))
        .map(AgentLease::node).toList());
    if (ranked.isEmpty()) {
      return new NoLiveAgent();
    }
    int rank = ranked.indexOf(self);
    if (rank < 0) { // this node does not match, or its own Lease is not seen yet: never its turn
      return new Wait(ranked.get(0), timing.slot(ranked.size()));
    }
    Instant slot = timing.slot(rank);
    return now.isBefore(slot) ? new Wait(ranked.get(0), slot) : turn.apply(ranked.subList(0, rank));
  }

  /**
   * Until when the holder of the claim in {@code shared} counts as live: one lease after the claim or after its
   * Lease's latest renewal, whichever is later; null when neither is known (a claim with no time, no Lease).
   */
  public static Instant holderLiveUntil(Shared shared, Collection<AgentLease> members, Timing timing) {
    Optional<AgentLease> lease = members.stream().filter(l -> l.node().equals(shared.claimedBy())).findFirst();
    Instant base = shared.claimedAt();
    Duration lease0 = timing.lease();
    if (lease.isPresent() && lease.get().renewTime() != null) {
      if (base == null || lease.get().renewTime().isAfter(base)) {
        base = lease.get().renewTime();
      }
      if (lease.get().leaseDuration() != null) {
        lease0 = lease.get().leaseDuration();
      }
    }
    return base == null ? null : base.plus(lease0);
  }

  /**
   * A due time before {@code dueAt} is claimed by another agent that is still live and has not finished: its run
   * goes on (an agent that waited for it may have given up, or learnt of the previous run's end only after
   * {@code dueAt} came).
   */
  public static boolean stillRunningElsewhere(String self, Instant dueAt, Shared shared, Collection<AgentLease> members,
      Timing timing, Instant now) {
    String holder = shared.claimedBy();
    if (shared.claimedFor() == null || !shared.claimedFor().isBefore(dueAt) || holder == null || self.equals(holder)
        || (shared.finishedFor() != null && !shared.finishedFor().isBefore(shared.claimedFor()))) {
      return false;
    }
    Instant until = holderLiveUntil(shared, members, timing);
    return until != null && now.isBefore(until);
  }
}

package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.rules.Rendezvous;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.rules.ClaimRule.Claim;
import dev.nodepulse.kube.rules.ClaimRule.Decision;
import dev.nodepulse.kube.rules.ClaimRule.Missed;
import dev.nodepulse.kube.rules.ClaimRule.NoLiveAgent;
import dev.nodepulse.kube.rules.ClaimRule.Shared;
import dev.nodepulse.kube.rules.ClaimRule.TakeOver;
import dev.nodepulse.kube.rules.ClaimRule.Taken;
import dev.nodepulse.kube.rules.ClaimRule.Timing;
import dev.nodepulse.kube.rules.ClaimRule.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The claim rule on a fixed clock, as a table: one row per case, (inputs, now) to the decision. */
class ClaimRuleTest {
  static final Instant DUE = Instant.parse("2026-11-30T04:00:00Z");
  static final Duration LEASE = Duration.ofSeconds(15);
  static final Duration STEP = Duration.ofSeconds(5);
  static final Timing TIMING = new Timing(DUE, STEP, LEASE);
  static final String TASK = "shop/warm-cache";
  static final List<String> NODES = List.of("node-a", "node-b", "node-c");

  /** The three nodes in the order rendezvous hashing ranks them for (TASK, DUE). */
  static final List<String> RANK = Rendezvous.rank(Rendezvous.runKey(TASK, DUE), NODES);
  static final String FIRST = RANK.get(0);
  static final String SECOND = RANK.get(1);
  static final String THIRD = RANK.get(2);

  /** A member at rest: its Lease written an hour ago and not since. */
  static AgentLease quiet(String node) {
    return renewed(node, DUE.minusSeconds(3600));
  }

  static AgentLease renewed(String node, Instant at) {
    return new AgentLease(node, at, LEASE, Map.of("zone", node.equals(FIRST) ? "a" : "b"));
  }

  static List<AgentLease> members() {
    return NODES.stream().map(ClaimRuleTest::quiet).toList();
  }

  static List<AgentLease> with(AgentLease changed) {
    List<AgentLease> out = new ArrayList<>(members());
    out.replaceAll(l -> l.node().equals(changed.node()) ? changed : l);
    return out;
  }

  static Instant at(int seconds) {
    return DUE.plusSeconds(seconds);
  }

  /** Claimed by {@code holder} at {@code claimedAt}, not finished. */
  static Shared claimed(String holder, Instant claimedAt) {
    return new Shared(DUE, holder, null, claimedAt);
  }

  static Stream<Arguments> table() {
    Map<String, String> none = Map.of();
    Instant later = DUE.plusSeconds(60);
    List<String> takeoverRank = Rendezvous.rank(Rendezvous.runKey(TASK, DUE), List.of(FIRST, SECOND));
    return Stream.of(
        // case, self, shared, runningHere, members, selector, deadline, timing, now -> expected
        Arguments.of("unclaimed: the first in rank claims at once", FIRST, Shared.NONE, false, members(), none, null,
            TIMING, DUE, new Claim(List.of())),
        Arguments.of("members at rest for an hour are members: their Leases need no renewal", SECOND, Shared.NONE,
            false, members(), none, null, TIMING, at(1), new Wait(FIRST, at(5))),
        Arguments.of("the second claims one step later when nobody claimed, passing the first over", SECOND,
            Shared.NONE, false, members(), none, null, TIMING, at(5), new Claim(List.of(FIRST))),
        Arguments.of("the third waits for two steps", THIRD, Shared.NONE, false, members(), none, null, TIMING, at(9),
            new Wait(FIRST, at(10))),
        Arguments.of("the third's turn after two steps", THIRD, Shared.NONE, false, members(), none, null, TIMING,
            at(10), new Claim(List.of(FIRST, SECOND))),
        Arguments.of("the cascade starts when this agent could decide (the API server back at +60 s)", SECOND,
            Shared.NONE, false, members(), none, null, new Timing(at(60), STEP, LEASE), at(61),
            new Wait(FIRST, at(65))),
        Arguments.of("claimed for this due time and running here: nothing to do", FIRST, claimed(FIRST, DUE), true,
            members(), none, null, TIMING, at(1), new Taken("running here")),
        Arguments.of("claimed by another: it is live for a lease after its claim", SECOND, claimed(THIRD, at(2)),
            false, members(), none, null, TIMING, at(16), new Wait(THIRD, at(17))),
        Arguments.of("claimed by another that renewed its Lease since: live a lease after the renewal", SECOND,
            claimed(THIRD, DUE), false, with(renewed(THIRD, at(20))), none, null, TIMING, at(30),
            new Wait(THIRD, at(35))),
        Arguments.of("holder silent for a lease: the first of the others in rank takes over", takeoverRank.get(0),
            claimed(THIRD, DUE), false, members(), none, null, TIMING, at(15), new TakeOver(THIRD, List.of())),
        Arguments.of("holder silent: the second of the others waits a step more", takeoverRank.get(1),
            claimed(THIRD, DUE), false, members(), none, null, TIMING, at(15),
            new Wait(takeoverRank.get(0), at(20))),
        Arguments.of("holder silent and its Lease gone: the same, from its claim", takeoverRank.get(0),
            claimed(THIRD, DUE), false, members().stream().filter(l -> !l.node().equals(THIRD)).toList(), none, null,
            TIMING, at(15), new TakeOver(THIRD, List.of())),
        Arguments.of("a claim with no time and a quiet holder (written by an older agent): taken over", SECOND,
            new Shared(DUE, FIRST, null, null), false, members(), none, null, TIMING, at(5),
            new TakeOver(FIRST, List.of())),
        Arguments.of("claimed, finished: taken", SECOND, new Shared(DUE, FIRST, DUE, DUE), false, members(), none,
            null, TIMING, at(1), new Taken("finished")),
        Arguments.of("a later due time claimed: taken", FIRST, new Shared(later, SECOND, null, later), false,
            members(), none, null, TIMING, at(1), new Taken("a later run is claimed")),
        Arguments.of("holder restarted during its own run: it takes over itself", FIRST, claimed(FIRST, DUE), false,
            members(), none, null, TIMING, at(1), new TakeOver(FIRST, List.of())),
        Arguments.of("past the starting deadline at its turn: MISSED", SECOND, Shared.NONE, false, members(), none,
            Duration.ofSeconds(3), TIMING, at(5), new Missed(List.of(FIRST))),
        Arguments.of("within the starting deadline at its turn: claim", FIRST, Shared.NONE, false, members(), none,
            Duration.ofSeconds(30), TIMING, at(29), new Claim(List.of())),
        Arguments.of("nodeSelector: the first does not match, the best matching claims at once", SECOND,
            Shared.NONE, false, members(), Map.of("zone", "b"), null, TIMING, DUE, new Claim(List.of())),
        Arguments.of("nodeSelector matches no member", SECOND, Shared.NONE, false, members(), Map.of("zone", "c"),
            null, TIMING, DUE, new NoLiveAgent()),
        Arguments.of("catch-up: the claimer of an earlier due time it did not run claims the later one itself",
            THIRD, new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3), DUE.minusSeconds(2)), false,
            members(), none, null, TIMING, DUE, new Claim(List.of())),
        Arguments.of("catch-up past the starting deadline: MISSED", THIRD,
            new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3), DUE.minusSeconds(2)), false, members(), none,
            Duration.ofSeconds(30), TIMING, at(31), new Missed(List.of())),
        Arguments.of("an earlier due time claimed and run here: the later one goes by rank", THIRD,
            new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(2), DUE.minusSeconds(2)), false, members(), none,
            null, TIMING, DUE, new Wait(FIRST, at(10))),
        Arguments.of("another's unfinished earlier claim, Forbid: not while its holder is live", SECOND,
            new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3), DUE.minusSeconds(2)), false, members(), none,
            null, TIMING, DUE, new Taken("the run due at " + DUE.minusSeconds(2) + " is still going on " + THIRD
                + " (concurrencyPolicy: Forbid)")),
        Arguments.of("no own Lease seen: this agent is no candidate", FIRST, Shared.NONE, false,
            members().stream().filter(l -> !l.node().equals(FIRST)).toList(), none, null, TIMING, at(30),
            new Wait(SECOND, at(10))));
  }

  /** Allow and Replace do not wait for another agent's run of an earlier due time: the later one goes by rank. */
  @Test
  void anotherAgentsUnfinishedEarlierClaimGoesByRankWithoutForbid() {
    Shared earlier = new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3), DUE.minusSeconds(2));
    assertThat(ClaimRule.decide(SECOND, TASK, DUE, earlier, false, false, members(), Map.of(), null, TIMING, DUE))
        .isEqualTo(new Wait(FIRST, at(5)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(String name, String self, Shared shared, boolean runningHere, List<AgentLease> members,
      Map<String, String> selector, Duration deadline, Timing timing, Instant now, Decision expected) {
    assertThat(ClaimRule.decide(self, TASK, DUE, shared, runningHere, true, members, selector, deadline, timing, now))
        .isEqualTo(expected);
    if (!(shared.claimedFor() != null && shared.claimedFor().isBefore(DUE))) { // the rows have no earlier claim
      assertThat(ClaimRule.decide(self, TASK, DUE, shared, runningHere, false, members, selector, deadline, timing,
          now)).as("the same with concurrencyPolicy Allow or Replace").isEqualTo(expected);
    }
  }

  @Test
  void forbidStartsNoRunWhileAnotherAgentsRunOfTheTaskGoesOn() {
    Instant earlier = DUE.minusSeconds(1);
    Shared going = new Shared(earlier, SECOND, earlier.minusSeconds(1), earlier);
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, true, members(), Map.of(), null, TIMING, DUE))
        .as("the first in rank: the earlier run on the second is not finished").isEqualTo(new Taken(
            "the run due at " + earlier + " is still going on " + SECOND + " (concurrencyPolicy: Forbid)"));
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, new Shared(earlier, SECOND, null, earlier), false, true, members(),
        Map.of(), null, TIMING, DUE)).as("nothing finished yet").isInstanceOf(Taken.class);
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, false, members(), Map.of(), null, TIMING, DUE))
        .as("Allow, Replace: the first in rank claims beside it").isEqualTo(new Claim(List.of()));
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, new Shared(earlier, SECOND, earlier, earlier), false, true,
        members(), Map.of(), null, TIMING, DUE)).as("the earlier run finished").isEqualTo(new Claim(List.of()));
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, true, members(), Map.of(), null, TIMING,
        earlier.plus(LEASE))).as("its holder silent for a lease since its claim: not waited for")
        .isInstanceOf(Claim.class);
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, true, with(renewed(SECOND, at(10))), Map.of(), null,
        TIMING, at(20))).as("its holder renews its Lease while it runs: waited for").isInstanceOf(Taken.class);
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, new Shared(earlier, FIRST, null, earlier), false, true, members(),
        Map.of(), null, TIMING, DUE)).as("its own earlier claim: the agent asks only when its run ended")
        .isEqualTo(new Claim(List.of()));
  }

  @Test
  void atEachDueTimeExactlyOneAgentsTurnComesFirstAndTheLoadSpreads() {
    Map<String, Integer> claims = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      Instant due = DUE.plusSeconds(i);
      Timing timing = new Timing(due, STEP, LEASE);
      List<String> atOnce = NODES.stream().filter(n -> ClaimRule.decide(n, TASK, due, Shared.NONE, false, true,
          members(), Map.of(), null, timing, due) instanceof Claim).toList();
      assertThat(atOnce).as("due %s", due).hasSize(1);
      Instant justBeforeSecondStep = due.plus(STEP.multipliedBy(2)).minusMillis(1);
      assertThat(NODES.stream().filter(n -> ClaimRule.decide(n, TASK, due, Shared.NONE, false, true, members(),
          Map.of(), null, timing, justBeforeSecondStep) instanceof Claim).count())
          .as("one step on, the second's turn has come too (the claim write decides), not the third's").isEqualTo(2);
      claims.merge(atOnce.get(0), 1, Integer::sum);
    }
    assertThat(claims.values()).as("each of 3 nodes gets a fair share of 300 runs: %s", claims)
        .allSatisfy(n -> assertThat(n).isBetween(60, 140));
  }

  @Test
  void aHolderIsLiveForALeaseAfterItsClaimOrItsLatestRenewal() {
    assertThat(ClaimRule.holderLiveUntil(claimed(SECOND, at(3)), members(), TIMING)).isEqualTo(at(18));
    assertThat(ClaimRule.holderLiveUntil(claimed(SECOND, at(3)), with(renewed(SECOND, at(40))), TIMING))
        .isEqualTo(at(55));
    assertThat(ClaimRule.holderLiveUntil(new Shared(DUE, SECOND, null, null), List.of(), TIMING))
        .as("no claim time, no Lease: not live").isNull();
  }

  @Test
  void rankingIsTheSameWhateverOrderTheNodesAreListedIn() {
    String key = Rendezvous.runKey(TASK, DUE);
    assertThat(Rendezvous.rank(key, List.of("node-c", "node-a", "node-b"))).isEqualTo(RANK);
    assertThat(Rendezvous.rank(key, List.of(SECOND, THIRD))).as("removing the first keeps the others' order")
        .containsExactly(SECOND, THIRD);
  }
}

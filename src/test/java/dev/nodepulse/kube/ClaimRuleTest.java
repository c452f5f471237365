package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.ClaimRule.Claim;
import dev.nodepulse.kube.ClaimRule.Decision;
import dev.nodepulse.kube.ClaimRule.Missed;
import dev.nodepulse.kube.ClaimRule.NoLiveAgent;
import dev.nodepulse.kube.ClaimRule.Shared;
import dev.nodepulse.kube.ClaimRule.TakeOver;
import dev.nodepulse.kube.ClaimRule.Taken;
import dev.nodepulse.kube.ClaimRule.Wait;
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
  static final Instant NOW = Instant.parse("2026-11-30T04:00:00Z");
  static final Instant DUE = NOW.minusSeconds(1);
  static final Duration LEASE = Duration.ofSeconds(15);
  static final String TASK = "shop/warm-cache";
  static final List<String> NODES = List.of("node-a", "node-b", "node-c");

  /** The three nodes in the order rendezvous hashing ranks them for (TASK, DUE). */
  static final List<String> RANK = Rendezvous.rank(Rendezvous.runKey(TASK, DUE), NODES);
  static final String FIRST = RANK.get(0);
  static final String SECOND = RANK.get(1);
  static final String THIRD = RANK.get(2);

  static AgentLease live(String node) {
    return new AgentLease(node, NOW.minusSeconds(5), LEASE, Map.of("zone", node.equals(FIRST) ? "a" : "b"));
  }

  static AgentLease dead(String node) {
    return new AgentLease(node, NOW.minusSeconds(16), LEASE, Map.of("zone", node.equals(FIRST) ? "a" : "b"));
  }

  static List<AgentLease> allLive() {
    return NODES.stream().map(ClaimRuleTest::live).toList();
  }

  /** Every node's lease renewed at {@code renewed}. */
  static List<AgentLease> renewedAt(Instant renewed) {
    return NODES.stream().map(n -> new AgentLease(n, renewed, LEASE, Map.of())).toList();
  }

  static List<AgentLease> with(AgentLease changed) {
    List<AgentLease> out = new ArrayList<>(allLive());
    out.replaceAll(l -> l.node().equals(changed.node()) ? changed : l);
    return out;
  }

  static Stream<Arguments> table() {
    Map<String, String> none = Map.of();
    Instant later = DUE.plusSeconds(60);
    return Stream.of(
        // case, self, shared, runningHere, leases, selector, deadline, now -> expected
        Arguments.of("unclaimed: the first in rank claims", FIRST, Shared.NONE, false, allLive(), none, null, NOW,
            new Claim()),
        Arguments.of("unclaimed: the second waits for the first's lease", SECOND, Shared.NONE, false, allLive(), none,
            null, NOW, new Wait(FIRST, NOW.plusSeconds(10))),
        Arguments.of("unclaimed: the third waits for the first too", THIRD, Shared.NONE, false, allLive(), none, null,
            NOW, new Wait(FIRST, NOW.plusSeconds(10))),
        Arguments.of("first's lease expired: the second claims", SECOND, Shared.NONE, false, with(dead(FIRST)), none,
            null, NOW, new Claim()),
        Arguments.of("first's lease expired: the third waits for the second", THIRD, Shared.NONE, false,
            with(dead(FIRST)), none, null, NOW, new Wait(SECOND, NOW.plusSeconds(10))),
        Arguments.of("a lease renewed exactly one duration ago is expired", SECOND, Shared.NONE, false,
            with(new AgentLease(FIRST, NOW.minus(LEASE), LEASE, Map.of())), none, null, NOW, new Claim()),
        Arguments.of("claimed for this due time: nothing to do", FIRST, new Shared(DUE, FIRST, null), true, allLive(),
            none, null, NOW, new Taken("running here")),
        Arguments.of("claimed by a live other: wait for its lease", SECOND, new Shared(DUE, THIRD, null), false,
            allLive(), none, null, NOW, new Wait(THIRD, NOW.plusSeconds(10))),
        Arguments.of("claimed, finished: taken", SECOND, new Shared(DUE, FIRST, DUE), false, allLive(), none, null,
            NOW, new Taken("finished")),
        Arguments.of("a later due time claimed: taken", FIRST, new Shared(later, SECOND, null), false, allLive(), none,
            null, NOW, new Taken("a later run is claimed")),
        Arguments.of("holder died mid-run: the next live in rank takes over", SECOND, new Shared(DUE, FIRST, null),
            false, with(dead(FIRST)), none, null, NOW, new TakeOver(FIRST)),
        Arguments.of("holder died mid-run: the third waits for the second", THIRD, new Shared(DUE, FIRST, null), false,
            with(dead(FIRST)), none, null, NOW, new Wait(SECOND, NOW.plusSeconds(10))),
        Arguments.of("holder restarted during its own run: it takes over itself", FIRST, new Shared(DUE, FIRST, null),
            false, allLive(), none, null, NOW, new TakeOver(FIRST)),
        Arguments.of("past the starting deadline: the candidate records MISSED", FIRST, Shared.NONE, false,
            renewedAt(DUE.plusSeconds(25)),
            none, Duration.ofSeconds(30), DUE.plusSeconds(31), new Missed()),
        Arguments.of("within the starting deadline: claim", FIRST, Shared.NONE, false, renewedAt(DUE.plusSeconds(25)),
            none,
            Duration.ofSeconds(30), DUE.plusSeconds(29), new Claim()),
        Arguments.of("past the deadline, not the candidate: wait", SECOND, Shared.NONE, false,
            renewedAt(DUE.plusSeconds(25)), none, Duration.ofSeconds(30), DUE.plusSeconds(31),
            new Wait(FIRST, DUE.plusSeconds(40))),
        Arguments.of("nodeSelector: the first does not match, the best matching claims", SECOND, Shared.NONE, false,
            allLive(), Map.of("zone", "b"), null, NOW, new Claim()),
        Arguments.of("nodeSelector matches no live node", SECOND, Shared.NONE, false, allLive(), Map.of("zone", "c"),
            null, NOW, new NoLiveAgent()),
        Arguments.of("catch-up: the claimer of an earlier due time it did not run claims the later one itself",
            THIRD, new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3)), false, allLive(), none, null, NOW,
            new Claim()),
        Arguments.of("catch-up past the starting deadline: MISSED", THIRD,
            new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3)), false, renewedAt(DUE.plusSeconds(25)), none,
            Duration.ofSeconds(30), DUE.plusSeconds(31), new Missed()),
        Arguments.of("an earlier due time claimed and run here: the later one goes by rank", THIRD,
            new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(2)), false, allLive(), none, null, NOW,
            new Wait(FIRST, NOW.plusSeconds(10))),
        Arguments.of("another's unfinished earlier claim, Forbid: not while it runs", SECOND,
            new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3)), false, allLive(), none, null, NOW,
            new Taken("the run due at " + DUE.minusSeconds(2) + " is still going on " + THIRD
                + " (concurrencyPolicy: Forbid)")),
        Arguments.of("no own lease yet: this agent is no candidate", FIRST, Shared.NONE, false,
            allLive().stream().filter(l -> !l.node().equals(FIRST)).toList(), none, null, NOW,
            new Wait(SECOND, NOW.plusSeconds(10))));
  }

  /** Allow and Replace do not wait for another agent's run of an earlier due time: the later one goes by rank. */
  @Test
  void anotherAgentsUnfinishedEarlierClaimGoesByRankWithoutForbid() {
    Shared earlier = new Shared(DUE.minusSeconds(2), THIRD, DUE.minusSeconds(3));
    assertThat(ClaimRule.decide(SECOND, TASK, DUE, earlier, false, false, allLive(), Map.of(), null, NOW))
        .isEqualTo(new Wait(FIRST, NOW.plusSeconds(10)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(String name, String self, Shared shared, boolean runningHere, List<AgentLease> leases,
      Map<String, String> selector, Duration deadline, Instant now, Decision expected) {
    assertThat(ClaimRule.decide(self, TASK, DUE, shared, runningHere, true, leases, selector, deadline, now))
        .isEqualTo(expected);
    if (!(shared.claimedFor() != null && shared.claimedFor().isBefore(DUE))) { // the rows have no earlier claim
      assertThat(ClaimRule.decide(self, TASK, DUE, shared, runningHere, false, leases, selector, deadline, now))
          .as("the same with concurrencyPolicy Allow or Replace").isEqualTo(expected);
    }
  }

  @Test
  void forbidStartsNoRunWhileAnotherAgentsRunOfTheTaskGoesOn() {
    Instant earlier = DUE.minusSeconds(1);
    Shared going = new Shared(earlier, SECOND, earlier.minusSeconds(1));
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, true, allLive(), Map.of(), null, NOW))
        .as("the first in rank: the earlier run on the second is not finished").isEqualTo(new Taken(
            "the run due at " + earlier + " is still going on " + SECOND + " (concurrencyPolicy: Forbid)"));
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, new Shared(earlier, SECOND, null), false, true, allLive(), Map.of(),
        null, NOW)).as("nothing finished yet").isInstanceOf(Taken.class);
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, false, allLive(), Map.of(), null, NOW))
        .as("Allow, Replace: the first in rank claims beside it").isEqualTo(new Claim());
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, new Shared(earlier, SECOND, earlier), false, true, allLive(),
        Map.of(), null, NOW)).as("the earlier run finished").isEqualTo(new Claim());
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, going, false, true, with(dead(SECOND)), Map.of(), null, NOW))
        .as("its holder's Lease expired: it is not waited for").isEqualTo(new Claim());
    assertThat(ClaimRule.decide(FIRST, TASK, DUE, new Shared(earlier, FIRST, null), false, true, allLive(), Map.of(),
        null, NOW)).as("its own earlier claim: the agent asks only when its run ended").isEqualTo(new Claim());
  }

  @Test
  void exactlyOneAgentClaimsEachOfManyDueTimesAndTheLoadSpreads() {
    Map<String, Integer> claims = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      Instant due = DUE.plusSeconds(i);
      List<String> claimers = NODES.stream()
          .filter(n -> ClaimRule.decide(n, TASK, due, Shared.NONE, false, true, allLive(), Map.of(), null, NOW)
              instanceof Claim)
          .toList();
      assertThat(claimers).as("due %s", due).hasSize(1);
      claims.merge(claimers.get(0), 1, Integer::sum);
    }
    assertThat(claims.values()).as("each of 3 nodes gets a fair share of 300 runs: %s", claims)
        .allSatisfy(n -> assertThat(n).isBetween(60, 140));
  }

  @Test
  void rankingIsTheSameWhateverOrderTheNodesAreListedIn() {
    String key = Rendezvous.runKey(TASK, DUE);
    assertThat(Rendezvous.rank(key, List.of("node-c", "node-a", "node-b"))).isEqualTo(RANK);
    assertThat(Rendezvous.rank(key, List.of(SECOND, THIRD))).as("removing the first keeps the others' order")
        .containsExactly(SECOND, THIRD);
  }
}

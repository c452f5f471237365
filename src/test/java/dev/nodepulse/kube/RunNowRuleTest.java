package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.rules.Rendezvous;
import dev.nodepulse.kube.rules.RunNowRule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.rules.ClaimRule.Claim;
import dev.nodepulse.kube.rules.ClaimRule.Decision;
import dev.nodepulse.kube.rules.ClaimRule.NoLiveAgent;
import dev.nodepulse.kube.rules.ClaimRule.Shared;
import dev.nodepulse.kube.rules.ClaimRule.Taken;
import dev.nodepulse.kube.rules.ClaimRule.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Run now from kubectl ({@link RunNowRule}) on a fixed clock: what the annotation asks, who claims a {@code nodes:
 * one} request (every agent computes the same candidate from the request id), and the extra run's due time.
 */
class RunNowRuleTest {
  static final Instant NOW = Instant.parse("2026-12-04T22:00:00Z");
  static final Duration LEASE = Duration.ofSeconds(15);
  static final String TASK = "shop/warm-cache";
  static final List<String> NODES = List.of("node-a", "node-b", "node-c");
  static final List<String> RANK = Rendezvous.rank(RunNowRule.runKey(TASK, "1733349600"), NODES);

  /** The cascade of this agent: it saw the request at NOW, steps of 5 s. */
  static final ClaimRule.Timing TIMING = new ClaimRule.Timing(NOW, Duration.ofSeconds(5), LEASE);

  /** A member at rest: its Lease written an hour ago. */
  static AgentLease member(String node) {
    return new AgentLease(node, NOW.minusSeconds(3600), LEASE, Map.of("zone", node.equals(RANK.get(0)) ? "a" : "b"));
  }

  static List<AgentLease> members() {
    return NODES.stream().map(RunNowRuleTest::member).toList();
  }

  static Decision decide(String self, String handled, Shared shared, List<AgentLease> members,
      Map<String, String> selector) {
    return decide(self, handled, shared, members, selector, NOW);
  }

  static Decision decide(String self, String handled, Shared shared, List<AgentLease> members,
      Map<String, String> selector, Instant now) {
    return RunNowRule.decide(self, TASK, "1733349600", handled, shared, members, selector, TIMING, now);
  }

  @Test
  void theAnnotationAsksOneRunPerRequestIdNotHandledYet() {
    assertThat(RunNowRule.ask(null, null)).isEqualTo(new RunNowRule.Nothing());
    assertThat(RunNowRule.ask("1733349600", null)).isEqualTo(new RunNowRule.Run("1733349600"));
    assertThat(RunNowRule.ask("1733349600", "1733349000")).isEqualTo(new RunNowRule.Run("1733349600"));
    assertThat(RunNowRule.ask("1733349600", "1733349600")).isEqualTo(new RunNowRule.Nothing());
  }

  @Test
  void aValueThatIsNoRequestIdIsRefusedNamingTheAnnotationAndTheValue() {
    for (String bad : List.of("", "two words", "x".repeat(65), "tab\there", "é")) {
      assertThat(RunNowRule.ask(bad, null)).isInstanceOfSatisfying(RunNowRule.Bad.class, b -> assertThat(b.message())
          .startsWith("metadata.annotations[nodepulse.dev/run-now]: '")
          .contains("is not a request id"));
    }
    assertThat(((RunNowRule.Bad) RunNowRule.ask("two words", null)).message()).contains("'two words'");
    assertThat(RunNowRule.ask("x".repeat(64), null)).isInstanceOf(RunNowRule.Run.class);
  }

  @Test
  void everyAgentAgreesOnOneCandidateKeyedByTheRequestId() {
    assertThat(decide(RANK.get(0), null, Shared.NONE, members(), Map.of())).isEqualTo(new Claim(List.of()));
    assertThat(decide(RANK.get(1), null, Shared.NONE, members(), Map.of()))
        .isEqualTo(new Wait(RANK.get(0), NOW.plusSeconds(5)));
    assertThat(decide(RANK.get(2), null, Shared.NONE, members(), Map.of())).isInstanceOf(Wait.class);
    // another request id of the same task is another key (the rank is the request's, not the due time's)
    assertThat(RunNowRule.runKey(TASK, "a")).isNotEqualTo(RunNowRule.runKey(TASK, "b"))
        .isNotEqualTo(Rendezvous.runKey(TASK, NOW));
  }

  @Test
  void aRequestIdInStatusNeverRunsAgain() {
    for (String node : NODES) {
      assertThat(decide(node, "1733349600", Shared.NONE, members(), Map.of())).isInstanceOf(Taken.class);
    }
  }

  @Test
  void aSilentCandidateIsPassedOverByTheNextInRankOneStepLater() {
    assertThat(decide(RANK.get(1), null, Shared.NONE, members(), Map.of(), NOW.plusSeconds(5)))
        .isEqualTo(new Claim(List.of(RANK.get(0))));
    assertThat(decide(RANK.get(2), null, Shared.NONE, members(), Map.of(), NOW.plusSeconds(5)))
        .isInstanceOf(Wait.class);
  }

  @Test
  void theNodeSelectorNarrowsTheCandidates() {
    Map<String, String> zoneB = Map.of("zone", "b");
    assertThat(decide(RANK.get(1), null, Shared.NONE, members(), zoneB)).isEqualTo(new Claim(List.of()));
    assertThat(decide(RANK.get(0), null, Shared.NONE, members(), Map.of("zone", "c"))).isEqualTo(new NoLiveAgent());
  }

  @Test
  void aDueRunInFlightOnAnotherLiveAgentEndsFirst() {
    Instant due = NOW.minusSeconds(2);
    String holder = RANK.get(2);
    Shared running = new Shared(due, holder, NOW.minusSeconds(60), due);
    assertThat(decide(RANK.get(0), null, running, members(), Map.of()))
        .isEqualTo(new Wait(holder, due.plus(LEASE)));
    // finished: the candidate claims
    assertThat(decide(RANK.get(0), null, new Shared(due, holder, due, due), members(), Map.of()))
        .isEqualTo(new Claim(List.of()));
    // the holder's agent is silent for a lease after its claim: nothing to wait for
    assertThat(decide(RANK.get(0), null, running, members(), Map.of(), due.plus(LEASE)))
        .isEqualTo(new Claim(List.of()));
    // the holder is this agent (its scheduler runs the extra run after its own run ended): no wait on itself
    Shared mine = new Shared(due, RANK.get(0), null, due);
    assertThat(decide(RANK.get(0), null, mine, members(), Map.of())).isEqualTo(new Claim(List.of()));
  }

  @Test
  void theExtraRunIsDueNowButAfterEveryDueTimeClaimedOrFinished() {
    assertThat(RunNowRule.at(NOW, Shared.NONE)).isEqualTo(NOW);
    assertThat(RunNowRule.at(NOW, new Shared(NOW.minusSeconds(60), "node-a", NOW.minusSeconds(60), null))).isEqualTo(NOW);
    // a claim the clock has not reached (another agent's clock ahead): the extra run comes after it
    assertThat(RunNowRule.at(NOW, new Shared(NOW.plusSeconds(1), "node-a", null, null))).isEqualTo(NOW.plusMillis(1001));
    assertThat(RunNowRule.at(NOW, new Shared(null, null, NOW, null))).isEqualTo(NOW.plusMillis(1));
  }
}

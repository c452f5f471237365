package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The status derived from its facts ({@link DerivedStatus}), as tables on a fixed clock. */
class DerivedStatusTest {
  static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
  static final Instant T1 = Instant.parse("2026-12-04T10:05:00Z");

  static TaskSpec spec(String timing, String nodes) throws Exception {
    return TaskReader.read("""
        metadata: {name: t, namespace: default}
        spec:
          %s
          nodes: %s
          target: {http: {url: "http://127.0.0.1:1/"}}
        """.formatted(timing, nodes), TaskReader.Format.YAML).spec();
  }

  static Status.LastRun run(String node, String due, String outcome, String error) {
    Status.LastRun r = new Status.LastRun();
    r.node = node;
    r.dueAt = due;
    r.finishedAt = due;
    r.outcome = outcome;
    r.error = error;
    return r;
  }

  static Status.NodeStatus entry(String node, Status.Phase phase, Status.LastRun last, long runs, long attempts) {
    Status.NodeStatus n = new Status.NodeStatus();
    n.node = node;
    n.phase = phase;
    n.lastRun = last;
    n.runs = runs;
    n.attempts = attempts;
    return n;
  }

  static Status nodes(Status.NodeStatus... entries) {
    Status s = new Status();
    s.nodes = List.of(entries);
    return s;
  }

  static Status one(String claimedBy, String claimedFor, Status.LastRun last, Long runs) {
    Status s = new Status();
    s.claimedBy = claimedBy;
    s.claimedFor = claimedFor;
    s.lastRun = last;
    s.runs = runs;
    return s;
  }

  static final String D1 = "2026-12-04T09:00:01Z";
  static final String D2 = "2026-12-04T09:00:03Z";

  /** facts, timing, nodes → phase, runs, attempts, claimedBy, last outcome, summary, Failed condition (status/reason). */
  static Stream<Arguments> table() {
    var ok1 = run("node-1", D1, "SUCCEEDED", null);
    var ok2 = run("node-2", D1, "SUCCEEDED", null);
    var ok3 = run("node-3", D2, "SUCCEEDED", null);
    var bad2 = run("node-2", D1, "FAILED", "HTTP 500");
    var lost = run("node-k", D1, "LOST", "the agent on node-k stopped");
    return Stream.of(
        Arguments.of("nodes: all, one-shot, every node succeeded",
            nodes(entry("node-3", Status.Phase.Succeeded, ok3, 1, 1), entry("node-1", Status.Phase.Succeeded, ok1, 1, 2),
                entry("node-2", Status.Phase.Succeeded, ok2, 1, 1)), "delay: 1s", "all",
            Status.Phase.Succeeded, 3L, 4L, "node-3", "SUCCEEDED", "3/3 nodes succeeded", "False/Succeeded"),
        Arguments.of("nodes: all, one-shot, one node failed",
            nodes(entry("node-1", Status.Phase.Succeeded, ok1, 1, 1), entry("node-2", Status.Phase.Failed, bad2, 1, 3),
                entry("node-3", Status.Phase.Succeeded, ok3, 1, 1)), "delay: 1s", "all",
            Status.Phase.Failed, 3L, 5L, "node-3", "SUCCEEDED", "2/3 nodes succeeded, 1 failed (node-2)", "True/Failed"),
        Arguments.of("nodes: all, recurring: scheduled, runs summed",
            nodes(entry("node-1", Status.Phase.Scheduled, ok1, 42, 42), entry("node-2", Status.Phase.Scheduled, ok2, 40, 41)),
            "every: 2s", "all", Status.Phase.Scheduled, 82L, 83L, "node-2", "SUCCEEDED", "2/2 nodes succeeded",
            "False/Succeeded"),
        Arguments.of("nodes: all, a node running", nodes(entry("node-1", Status.Phase.Running, null, 0, 1),
                entry("node-2", Status.Phase.Scheduled, ok2, 1, 1)), "every: 2s", "all",
            Status.Phase.Running, 1L, 2L, "node-2", "SUCCEEDED", "1/2 nodes succeeded, 1 running (node-1)", "False/Succeeded"),
        Arguments.of("nodes: all, no entry yet", nodes(), "delay: 1s", "all",
            Status.Phase.Pending, 0L, 0L, null, null, "no node has run it yet", null),
        Arguments.of("nodes: one, a later due time claimed", one("node-2", D2, ok1, 1L), "every: 2s", "one",
            Status.Phase.Running, 1L, null, "node-2", "SUCCEEDED", "running on node-2", "False/Succeeded"),
        Arguments.of("nodes: one, claimed, nothing finished yet", one("node-2", D1, null, null), "delay: 1s", "one",
            Status.Phase.Running, null, null, "node-2", null, "running on node-2", null),
        Arguments.of("nodes: one, one-shot finished", one("node-1", D1, ok1, 1L), "delay: 1s", "one",
            Status.Phase.Succeeded, 1L, null, "node-1", "SUCCEEDED", "succeeded on node-1", "False/Succeeded"),
        Arguments.of("nodes: one, one-shot lost with its holder (the LOST record is the claim's end)",
            one("node-2", D1, lost, 1L), "delay: 1s", "one",
            Status.Phase.Failed, 1L, null, "node-2", "LOST", "lost on node-k", "True/Lost"),
        Arguments.of("nodes: one, recurring, last run failed", one("node-2", D1, bad2, 7L), "every: 2s", "one",
            Status.Phase.Scheduled, 7L, null, "node-2", "FAILED", "failed on node-2", "True/Failed"),
        Arguments.of("nodes: one, nothing at all", one(null, null, null, null), "every: 2s", "one",
            Status.Phase.Pending, null, null, null, null, "not run yet", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void derives(String what, Status facts, String timing, String nodes, Status.Phase phase, Long runs, Long attempts,
      String claimedBy, String lastOutcome, String summary, String failed) throws Exception {
    Status st = DerivedStatus.of(facts, spec(timing, nodes), 3L, T0);
    assertThat(st.phase).as("phase").isEqualTo(phase);
    assertThat(st.runs).as("runs").isEqualTo(runs);
    assertThat(st.attempts).as("attempts").isEqualTo(attempts);
    assertThat(st.claimedBy).as("claimedBy").isEqualTo(claimedBy);
    assertThat(st.lastRun == null ? null : st.lastRun.outcome).as("last outcome").isEqualTo(lastOutcome);
    assertThat(st.summary).as("summary").isEqualTo(summary);
    assertThat(st.schedule).isEqualTo(timing.replace(":", ""));
    assertThat(st.observedGeneration).isEqualTo(3L);
    Condition f = st.conditions.stream().filter(c -> c.getType().equals("Failed")).findFirst().orElse(null);
    assertThat(f == null ? null : f.getStatus() + "/" + f.getReason()).as("Failed condition").isEqualTo(failed);
    assertThat(st.conditions).allSatisfy(c -> {
      assertThat(c.getObservedGeneration()).isEqualTo(3L);
      assertThat(c.getLastTransitionTime()).isEqualTo(T0.toString());
      assertThat(c.getMessage()).isNotBlank();
    });
    assertThat(st.conditions).extracting(Condition::getType).startsWith("Ready", "Scheduled");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void derivingWhatWasDerivedChangesNothingWhateverTheTime(String what, Status facts, String timing, String nodes)
      throws Exception {
    TaskSpec spec = spec(timing, nodes);
    Status once = DerivedStatus.of(facts, spec, 3L, T0);
    Status twice = DerivedStatus.of(once, spec, 3L, T1);
    assertThat(Wire.JSON.asJson(twice)).isEqualTo(Wire.JSON.asJson(once));
  }

  @Test
  void aConditionsTransitionTimeMovesOnlyWhenItsStatusChanges() throws Exception {
    TaskSpec spec = spec("every: 2s", "one");
    Status failedAtT0 = DerivedStatus.of(one("node-1", D1, run("node-1", D1, "FAILED", "boom"), 1L), spec, 1L, T0);
    Status next = Wire.copy(failedAtT0);
    next.lastRun = run("node-2", D2, "SUCCEEDED", null);
    next.claimedFor = D2;
    next.claimedBy = "node-2";
    Status st = DerivedStatus.of(next, spec, 1L, T1);
    assertThat(st.conditions).filteredOn(c -> c.getType().equals("Ready")).singleElement()
        .satisfies(c -> assertThat(c.getLastTransitionTime()).isEqualTo(T0.toString()));
    assertThat(st.conditions).filteredOn(c -> c.getType().equals("Failed")).singleElement().satisfies(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getLastTransitionTime()).isEqualTo(T1.toString());
    });
  }

  @Test
  void anotherWritersConditionsAreKept() throws Exception {
    Status facts = one("node-1", D1, run("node-1", D1, "SUCCEEDED", null), 1L);
    List<Condition> theirs = new ArrayList<>();
    theirs.add(new ConditionBuilder().withType("Suspended").withStatus("True").withReason("Asked")
        .withMessage("spec.suspend is true").withLastTransitionTime(T0.toString()).build());
    facts.conditions = theirs;
    Status st = DerivedStatus.of(facts, spec("every: 2s", "one"), 1L, T1);
    assertThat(st.conditions).extracting(Condition::getType).containsExactly("Ready", "Scheduled", "Failed", "Suspended");
  }

  @Test
  void aRefusedSpecIsFailedWithReadyFalseNamingTheField() {
    Status facts = one("node-1", D1, run("node-1", D1, "SUCCEEDED", null), 4L);
    Status st = DerivedStatus.invalid(facts, "spec.delay: must be 0s to 365d", 2L, T1);
    assertThat(st.phase).isEqualTo(Status.Phase.Failed);
    assertThat(st.runs).as("facts kept").isEqualTo(4L);
    assertThat(st.observedGeneration).isEqualTo(2L);
    assertThat(st.conditions).singleElement().satisfies(c -> {
      assertThat(c.getType() + "=" + c.getStatus() + "/" + c.getReason()).isEqualTo("Ready=False/InvalidSpec");
      assertThat(c.getMessage()).isEqualTo("spec.delay: must be 0s to 365d");
      assertThat(c.getLastTransitionTime()).isEqualTo(T1.toString());
    });
  }

  @Test
  void aOneShotStaysScheduledAfterARunNowRunBeforeItsDueTime() throws Exception {
    TaskSpec spec = spec("at: \"2027-01-01T00:00:00Z\"", "one");
    Status extra = one("node-1", D1, run("node-1", D1, "SUCCEEDED", null), 1L);
    extra.nextRunAt = "2027-01-01T00:00:00Z";
    assertThat(DerivedStatus.of(extra, spec, 1L, T1).phase).isEqualTo(Status.Phase.Scheduled);
    Status ran = one("node-1", "2027-01-01T00:00:00Z", run("node-1", "2027-01-01T00:00:00Z", "SUCCEEDED", null), 2L);
    assertThat(DerivedStatus.of(ran, spec, 1L, T1).phase).as("its own run ends it").isEqualTo(Status.Phase.Succeeded);
  }

  /** nodes: all: every node's account summed at the top, as runs are (runs + missed + skipped: every due time). */
  @Test
  void aNodesAllTaskSumsItsNodesMissedAndSkippedDueTimes() throws Exception {
    Status.NodeStatus a = entry("node-1", Status.Phase.Scheduled, run("node-1", D1, "SUCCEEDED", null), 5, 5);
    a.missed = 3L;
    Status.NodeStatus b = entry("node-2", Status.Phase.Scheduled, run("node-2", D1, "SUCCEEDED", null), 7, 7);
    b.missed = 1L;
    b.skipped = 2L;
    Status st = DerivedStatus.of(nodes(a, b), spec("every: 2s", "all"), 1L, T1);
    assertThat(st.runs).isEqualTo(12L);
    assertThat(st.missed).isEqualTo(4L);
    assertThat(st.skipped).isEqualTo(2L);
  }

  @Test
  void aSummaryNamesAtMostThreeNodesPerOutcome() {
    List<Status.NodeStatus> five = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      five.add(entry("node-" + i, Status.Phase.Failed, run("node-" + i, D1, "TIMEOUT", "slow"), 1, 1));
    }
    assertThat(DerivedStatus.nodesSummary(five)).isEqualTo("0/5 nodes succeeded, 5 timeout (node-1, node-2, node-3, …)");
  }

  @Test
  void aSuspendedTaskHasASuspendedConditionThatTurnsFalseWhenResumed() throws Exception {
    Status paused = DerivedStatus.of(new Status(), spec("every: 5m\n  suspend: true", "one"), 2L, T0);
    Condition c = paused.conditions.stream().filter(x -> x.getType().equals("Suspended")).findFirst().orElseThrow();
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getMessage()).isEqualTo("spec.suspend is true: no new runs; due times are skipped on purpose");
    assertThat(DerivedStatus.of(paused, spec("every: 5m\n  suspend: true", "one"), 2L, T1).conditions)
        .as("deriving again changes nothing").isEqualTo(paused.conditions);
    Status resumed = DerivedStatus.of(paused, spec("every: 5m", "one"), 2L, T1);
    assertThat(resumed.conditions).filteredOn(x -> x.getType().equals("Suspended")).singleElement()
        .satisfies(x -> {
          assertThat(x.getStatus()).isEqualTo("False");
          assertThat(x.getReason()).isEqualTo("Resumed");
          assertThat(x.getLastTransitionTime()).isEqualTo(T1.toString());
        });
    assertThat(DerivedStatus.of(new Status(), spec("every: 5m", "one"), 2L, T0).conditions)
        .as("never suspended: no condition").noneMatch(x -> x.getType().equals("Suspended"));
  }
}

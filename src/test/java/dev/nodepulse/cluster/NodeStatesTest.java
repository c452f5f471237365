package dev.nodepulse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nodepulse.bus.AgentLeases;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cluster view's rows from the Leases and the peers' answers, on a fixed clock. */
class NodeStatesTest {
  static final Instant NOW = Instant.parse("2026-12-04T22:00:00Z");
  static final Duration LEASE = Duration.ofSeconds(15);
  static final Figures BUSY = new Figures(80.0, 70.0, 3.5, 8000L, 6000L, NOW.minusSeconds(1));
  static final Figures IDLE = new Figures(2.0, 1.5, 0.1, 8000L, 1000L, NOW.minusSeconds(1));

  static AgentLeases.Peer lease(String node, Instant renewed) {
    return new AgentLeases.Peer(node, renewed, LEASE, "10.0.0." + node.charAt(node.length() - 1), 9090);
  }

  static Map<String, NodeStates.State> states(List<NodeStates.Row> rows) {
    return rows.stream().collect(java.util.stream.Collectors.toMap(NodeStates.Row::node, NodeStates.Row::state));
  }

  @Test
  void aLiveLeaseWithAFreshAnswerIsReadyWithItsFigures() {
    var rows = NodeStates.merge("node-1", List.of(lease("node-2", NOW.minusSeconds(3)), lease("node-1", NOW)),
        Map.of("node-1", NodeStates.Known.answered(IDLE, NOW), "node-2", NodeStates.Known.answered(BUSY,
            NOW.minusSeconds(1))), Map.of(), NOW);
    assertThat(rows).extracting(NodeStates.Row::node).containsExactly("node-1", "node-2");
    assertThat(rows).extracting(NodeStates.Row::state).containsOnly(NodeStates.State.Ready);
    assertThat(NodeStates.toJson(rows).getJsonArray("items").getJsonObject(1)).isEqualTo(new JsonObject()
        .put("node", "node-2").put("state", "Ready").put("percent", 80.0).put("avg1m", 70.0).put("load", 3.5)
        .put("memory", new JsonObject().put("totalBytes", 8000L).put("usedBytes", 6000L))
        .put("sampledAt", "2026-12-04T21:59:59Z"));
  }

  @Test
  void aLeaseNotWrittenForHoursIsAMemberLikeAnyOther() {
    var rows = NodeStates.merge("node-1", List.of(lease("node-1", NOW), lease("node-2", NOW.minusSeconds(7200))),
        Map.of("node-2", NodeStates.Known.answered(BUSY, NOW)), Map.of(), NOW);
    assertThat(states(rows)).containsEntry("node-2", NodeStates.State.Ready);
  }

  @Test
  void aNodeWhoseLeaseWasRemovedIsStoppedForAWhileKeepingItsLastFigures() {
    Instant gone = NOW.minusSeconds(30);
    var rows = NodeStates.merge("node-1", List.of(lease("node-1", NOW)),
        Map.of("node-2", NodeStates.Known.answered(BUSY, gone)), Map.of("node-2", gone), NOW);
    NodeStates.Row stopped = rows.get(1);
    assertThat(stopped.node()).isEqualTo("node-2");
    assertThat(stopped.state()).isEqualTo(NodeStates.State.Stopped);
    assertThat(stopped.reason()).isEqualTo("its agent stopped: its Lease was removed at 2026-12-04T21:59:30Z");
    assertThat(stopped.figures()).isEqualTo(BUSY);
    assertThat(states(NodeStates.merge("node-1", List.of(lease("node-1", NOW)), Map.of(), Map.of("node-2", gone),
        gone.plus(NodeStates.LEFT_SHOWN)))).as("forgotten after a while").doesNotContainKey("node-2");
    assertThat(states(NodeStates.merge("node-1", List.of(lease("node-1", NOW), lease("node-2", NOW)),
        Map.of("node-2", NodeStates.Known.answered(IDLE, NOW)), Map.of("node-2", gone), NOW)))
        .as("back: its Lease again").containsEntry("node-2", NodeStates.State.Ready);
  }

  @Test
  void aFailedRequestIsUnreachableWithItsReasonAndAnAnswerAfterItIsReadyAgain() {
    NodeStates.Known failed = NodeStates.Known.answered(BUSY, NOW.minusSeconds(5)).failed("no answer within 2000 ms");
    var rows = NodeStates.merge("node-1", List.of(lease("node-2", NOW)), Map.of("node-2", failed), Map.of(), NOW);
    NodeStates.Row row = rows.stream().filter(r -> r.node().equals("node-2")).findFirst().orElseThrow();
    assertThat(row.state()).isEqualTo(NodeStates.State.Unreachable);
    assertThat(row.reason()).isEqualTo("no answer within 2000 ms");
    assertThat(states(NodeStates.merge("node-1", List.of(lease("node-2", NOW)),
        Map.of("node-2", NodeStates.Known.answered(IDLE, NOW)), Map.of(), NOW))).containsEntry("node-2", NodeStates.State.Ready);
  }

  @Test
  void aLeaseWithoutAPeerAddressIsUnreachableAndANodeNotYetAskedUnknown() {
    var noAddress = new AgentLeases.Peer("node-3", NOW, LEASE, null, null);
    var rows = NodeStates.merge("node-1", List.of(noAddress, lease("node-2", NOW)), Map.of(), Map.of(), NOW);
    assertThat(states(rows)).containsEntry("node-3", NodeStates.State.Unreachable)
        .containsEntry("node-2", NodeStates.State.Unknown).containsEntry("node-1", NodeStates.State.Unknown);
    assertThat(rows.stream().filter(r -> r.node().equals("node-3")).findFirst().orElseThrow().reason())
        .contains("names no peer address");
  }

  @Test
  void anAnswerOlderThanStaleIsNotShownAsReady() {
    var known = Map.of("node-2", NodeStates.Known.answered(BUSY, NOW.minus(NodeStates.STALE).minusMillis(1)));
    assertThat(states(NodeStates.merge("node-1", List.of(lease("node-2", NOW)), known, Map.of(), NOW)))
        .containsEntry("node-2", NodeStates.State.Unknown);
    var justFresh = Map.of("node-2", NodeStates.Known.answered(BUSY, NOW.minus(NodeStates.STALE)));
    assertThat(states(NodeStates.merge("node-1", List.of(lease("node-2", NOW)), justFresh, Map.of(), NOW)))
        .containsEntry("node-2", NodeStates.State.Ready);
  }

  @Test
  void thisAgentsOwnNodeIsListedWithoutALeaseAndNeverStopped() {
    var rows = NodeStates.merge("node-1", List.of(lease("node-1", NOW.minusSeconds(600))),
        Map.of("node-1", NodeStates.Known.answered(IDLE, NOW)), Map.of(), NOW);
    assertThat(states(rows)).containsExactly(Map.entry("node-1", NodeStates.State.Ready));
    assertThat(states(NodeStates.merge("node-1", List.of(), Map.of("node-1", NodeStates.Known.answered(IDLE, NOW)), Map.of(),
        NOW))).containsExactly(Map.entry("node-1", NodeStates.State.Ready));
  }

  @Test
  void aPeersAnswerIsCheckedFieldByField() {
    JsonObject good = new JsonObject().put("percent", 12.5).put("avg1m", null).put("load", 0.5)
        .put("memory", new JsonObject().put("totalBytes", 100).put("usedBytes", 40)).put("sampledAt", NOW.toString());
    assertThat(Figures.fromJson(good)).isEqualTo(new Figures(12.5, null, 0.5, 100L, 40L, NOW));
    assertThatThrownBy(() -> Figures.fromJson(good.copy().put("percent", 101)))
        .hasMessage("percent: '101' is not a number from 0 to 100");
    assertThatThrownBy(() -> Figures.fromJson(good.copy().put("load", "high")))
        .hasMessage("load: 'high' is not a number of 0 or more");
    assertThatThrownBy(() -> Figures.fromJson(good.copy().put("memory", new JsonObject().put("usedBytes", -1))))
        .hasMessage("memory.usedBytes: '-1' is not a whole number of bytes");
    assertThatThrownBy(() -> Figures.fromJson(good.copy().put("sampledAt", "yesterday")))
        .hasMessage("sampledAt: 'yesterday' is not an RFC 3339 time");
  }

  @Test
  void onlyDnsNamesAndTheReadOnlyPathsAreForwarded() {
    assertThat(PeerPaths.node("ip-10-0-0-1.eu-west-1.compute.internal")).isTrue();
    assertThat(PeerPaths.node("Node_1")).isFalse();
    assertThat(PeerPaths.node("a".repeat(254))).isFalse();
    assertThat(List.of("cpu", "history", "processes", "tasks", "tasks/default/probe", "tasks/default/probe/runs",
        "tasks/default/probe/runs/latest/output")).allMatch(PeerPaths::allowed);
    assertThat(List.of("sum", "tasks/default", "tasks/default/probe/runs/x", "../metrics", "cpu/", "tasks/A/b"))
        .noneMatch(PeerPaths::allowed);
  }
}
